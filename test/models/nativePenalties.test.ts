import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {readFixturePrompts} from "../support/fixtures.js";
import {loadNativeFixture, nativeToolsMissing, type NativeFixture} from "../support/nativeFixture.js";

const MAX_TOKENS = 64;

describe("repetition penalties against llama-completion (bundled big model, greedy, 6 prompts × 64 tokens)", {skip: nativeToolsMissing}, () => {
    let fixture: NativeFixture;
    before(async () => {
        fixture = await loadNativeFixture();
    });
    after(() => fixture.dispose());

    const PENALTIES: GenerateOptions[] = [
        {repeatPenalty: 1.2, repeatLastN: 64},
        {repeatPenalty: 1.5, repeatLastN: 8},
        {frequencyPenalty: 0.5, presencePenalty: 0.3, repeatLastN: 128},
        {repeatPenalty: 0.9, presencePenalty: -0.4}
    ];
    for (const penalty of PENALTIES)
        it(`--mode big with ${JSON.stringify(penalty)} writes what llama-completion writes with the same flags`, async () => {
            const {pair, decoder, native} = fixture;
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
