import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {checkSharedTokenizer, MAX_VOCABULARY_SIZE_DIFFERENCE, type VocabularyFacts} from "../../src/engine/checkSharedTokenizer.js";
import {BildUsageError} from "../../src/errors.js";

const TOKENS = ["<unk>", "<s>", "</s>", "<pad>", "<mask>", "a", "b", "c"];

const vocabulary = (filePath: string, changes: Partial<VocabularyFacts> = {}): VocabularyFacts =>
    ({filePath, type: "bpe", tokens: TOKENS, bosTokenId: 1, eosTokenId: 2, addsBos: true, addsEos: false, ...changes});

const padded = (count: number) => [...TOKENS, ...Array.from({length: count}, (_, i) => `[PAD${TOKENS.length + i}]`)];

const refuses = (big: VocabularyFacts, little: VocabularyFacts, pattern: RegExp) => assert.throws(
    () => checkSharedTokenizer(big, little),
    (error: unknown) => error instanceof BildUsageError && pattern.test(error.message) && /big big\.gguf vs little little\.gguf/.test(error.message)
);

describe("checkSharedTokenizer (llama.cpp's rules for a draft model)", () => {
    it("accepts identical vocabularies", () => {
        checkSharedTokenizer(vocabulary("big.gguf"), vocabulary("little.gguf"));
    });

    it("names both files and the first differing token", () => {
        refuses(vocabulary("big.gguf"), vocabulary("little.gguf", {tokens: [...TOKENS.slice(0, 6), "x", "c"]}), /token 6 is "b" vs "x"/);
    });

    it("ignores differences among the first five ids, which hold family-specific special tokens", () => {
        checkSharedTokenizer(vocabulary("big.gguf"), vocabulary("little.gguf", {tokens: ["<|x|>", ...TOKENS.slice(1)]}));
    });

    it(`accepts sizes up to ${MAX_VOCABULARY_SIZE_DIFFERENCE} apart, either way, and refuses one more`, () => {
        checkSharedTokenizer(vocabulary("big.gguf", {tokens: padded(MAX_VOCABULARY_SIZE_DIFFERENCE)}), vocabulary("little.gguf"));
        checkSharedTokenizer(vocabulary("big.gguf"), vocabulary("little.gguf", {tokens: padded(MAX_VOCABULARY_SIZE_DIFFERENCE)}));
        refuses(
            vocabulary("big.gguf", {tokens: padded(MAX_VOCABULARY_SIZE_DIFFERENCE + 1)}), vocabulary("little.gguf"),
            /vocabulary sizes differ by 129 \(137 vs 8\), more than the 128 padding entries allowed/
        );
    });

    it("compares EOS ids only where a prompt gets EOS appended (base little, instruct big)", () => {
        checkSharedTokenizer(vocabulary("big.gguf", {eosTokenId: 4}), vocabulary("little.gguf"));
        refuses(vocabulary("big.gguf", {eosTokenId: 4, addsEos: true}), vocabulary("little.gguf", {addsEos: true}), /both models add EOS but its id differs \(4 vs 2\)/);
    });

    it("compares BOS ids where BOS is added, and refuses models that disagree on adding it", () => {
        checkSharedTokenizer(vocabulary("big.gguf", {bosTokenId: 3, addsBos: false}), vocabulary("little.gguf", {addsBos: false}));
        refuses(vocabulary("big.gguf", {bosTokenId: 3}), vocabulary("little.gguf"), /both models add BOS but its id differs \(3 vs 1\)/);
        refuses(vocabulary("big.gguf", {addsBos: false}), vocabulary("little.gguf"),
            /the big model does not add BOS to a prompt and the little model does.*tokenizer\.ggml\.add_bos_token/);
    });

    it("refuses different tokenizer types", () => {
        refuses(vocabulary("big.gguf", {type: "spm"}), vocabulary("little.gguf"), /tokenizer types differ \(spm vs bpe\)/);
    });
});
