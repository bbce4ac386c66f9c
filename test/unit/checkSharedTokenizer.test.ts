import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {checkSharedTokenizer, type VocabularyFacts} from "../../src/engine/checkSharedTokenizer.js";
import {BildUsageError} from "../../src/errors.js";

const vocabulary = (filePath: string, tokens: string[], bos = 0, eos = 1): VocabularyFacts =>
    ({filePath, tokens, bosTokenId: bos, eosTokenId: eos});

describe("checkSharedTokenizer", () => {
    it("accepts identical vocabularies", () => {
        checkSharedTokenizer(vocabulary("big.gguf", ["<s>", "</s>", "a", "b"]), vocabulary("little.gguf", ["<s>", "</s>", "a", "b"]));
    });

    it("names both files and the first differing token", () => {
        assert.throws(
            () => checkSharedTokenizer(vocabulary("big.gguf", ["<s>", "</s>", "a", "b"]), vocabulary("little.gguf", ["<s>", "</s>", "a", "c"])),
            (error: unknown) => error instanceof BildUsageError &&
                /token 3 is "b" vs "c", big big\.gguf vs little little\.gguf/.test(error.message)
        );
    });

    it("reports a size difference, with the first extra token when one vocabulary extends the other", () => {
        assert.throws(
            () => checkSharedTokenizer(vocabulary("big.gguf", ["<s>", "</s>", "a", "b"]), vocabulary("little.gguf", ["<s>", "</s>", "a"])),
            /vocabulary sizes differ \(4 vs 3\), first extra token 3/
        );
    });

    it("rejects different special tokens", () => {
        assert.throws(
            () => checkSharedTokenizer(vocabulary("big.gguf", ["x", "y"], 0, 1), vocabulary("little.gguf", ["x", "y"], 0, 0)),
            /special tokens differ \(BOS 0 vs 0, EOS 1 vs 0\)/
        );
    });
});
