import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {access} from "node:fs/promises";
import path from "node:path";
import {ModelPair} from "../../src/engine/ModelPair.js";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {DEFAULT_NATIVE_BIN_DIR, NativeTools} from "../../src/eval/nativeTools.js";
import {BUNDLED_PAIR, readFixturePrompts} from "../support/fixtures.js";

const nativeToolsBuilt = await access(path.join(DEFAULT_NATIVE_BIN_DIR, "llama-completion")).then(() => true, () => false);
const MAX_TOKENS = 64;

describe("repetition penalties against llama-completion (bundled big model, greedy, 6 prompts × 64 tokens)",
    {skip: !nativeToolsBuilt && "llama.cpp's tools are not built (npm run build:native)"}, () => {
        let pair: ModelPair;
        let decoder: Decoder;
        let native: NativeTools;
        before(async () => {
            pair = await ModelPair.load(BUNDLED_PAIR);
            decoder = Decoder.fromPair(pair);
            const found = await NativeTools.find(DEFAULT_NATIVE_BIN_DIR, {
                big: pair.big.filePath, little: pair.little.filePath, bigThreads: pair.big.threads, littleThreads: 1,
                contextSize: pair.contextSize, batchSize: 512
            });
            assert.ok(typeof found !== "string", String(found));
            native = found;
        });
        after(async () => {
            await decoder[Symbol.asyncDispose]();
            await pair[Symbol.asyncDispose]();
        });

        const PENALTIES: GenerateOptions[] = [
            {repeatPenalty: 1.2, repeatLastN: 64},
            {repeatPenalty: 1.5, repeatLastN: 8},
            {frequencyPenalty: 0.5, presencePenalty: 0.3, repeatLastN: 128},
            {repeatPenalty: 0.9, presencePenalty: -0.4}
        ];
        for (const penalty of PENALTIES)
            it(`--mode big with ${JSON.stringify(penalty)} writes what llama-completion writes with the same flags`, async () => {
                let changed = 0;
                for (const {id, prompt} of readFixturePrompts(6)) {
                    const ours = await decoder.generate(prompt, {...penalty, mode: "big", maxTokens: MAX_TOKENS});
                    const theirs = await native.generate({tool: "llama-completion", flashAttention: false}, prompt, MAX_TOKENS, penalty);
                    // The tool's text may run on past the budget (a last newline): compare as many tokens.
                    const kept = pair.tokenizer.decode(pair.tokenizer.encode(theirs.text).slice(0, ours.tokens.length));
                    assert.ok(theirs.text.startsWith(ours.text) && kept === ours.text, `${id}: ${JSON.stringify(ours.text)} vs ${JSON.stringify(theirs.text)}`);
                    if (ours.text !== (await decoder.generate(prompt, {mode: "big", maxTokens: MAX_TOKENS})).text)
                        changed++;
                }
                assert.ok(changed > 0, "the penalty changes some output (else the comparison shows nothing)");
            });
    });
