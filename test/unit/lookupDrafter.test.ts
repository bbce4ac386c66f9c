import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {LookupDrafter} from "../../src/decoding/drafters/LookupDrafter.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {Decoder} from "../../src/decoding/Decoder.js";
import {repetitionPenaltyOf} from "../../src/decoding/sampling/SamplingOptions.js";
import {FakeSequence, fakeCodec, fakeLogits, greedyReference, littleLogits} from "../support/fakeModels.js";

/** What the drafter proposes, read as the draft/verify loop reads it: each proposal appended to the tokens first. */
async function proposals(drafter: LookupDrafter, prompt: readonly Token[]): Promise<Token[]> {
    const tokens = [...prompt];
    for await (const choice of drafter.propose(tokens))
        tokens.push(choice.token);
    return tokens.slice(prompt.length);
}

describe("LookupDrafter", () => {
    it("proposes what followed the latest earlier occurrence of the last n tokens", async () => {
        assert.deepEqual(await proposals(new LookupDrafter(2, 3), [7, 1, 2, 8, 1, 2, 9, 4, 1, 2]), [9, 4, 1]);
        assert.deepEqual(await proposals(new LookupDrafter(3, 4), [1, 2, 3, 9, 1, 2, 3]), [9, 1, 2, 3]);
    });

    it("proposes nothing where the text does not repeat, or is too short", async () => {
        assert.deepEqual(await proposals(new LookupDrafter(2, 4), [1, 2, 3, 4, 5]), []);
        assert.deepEqual(await proposals(new LookupDrafter(3, 4), [1, 1, 1]), []);
    });

    it("continues a match that runs into the suffix, as a loop would go on", async () => {
        assert.deepEqual(await proposals(new LookupDrafter(2, 5), [5, 5, 5]), [5, 5, 5, 5, 5]);
        assert.deepEqual(await proposals(new LookupDrafter(1, 5), [3, 4, 3]), [4, 3, 4, 3, 4]);
    });
});

describe("lookup first, little model otherwise (drafters lookup+little)", () => {
    const bigLogits = (context: readonly Token[]) => fakeLogits(context, 1);
    const prompts = Array.from({length: 30}, (_, i) => "abcdefg".repeat(3).slice(i % 7, i % 7 + 2 + (i % 12)));
    const decoder = () => new Decoder({
        big: new FakeSequence(bigLogits), little: new FakeSequence((context) => littleLogits(context, 1, 2, 0.6)), codec: fakeCodec, contextSize: 4096
    });

    it("writes big's greedy output in bild and speculative modes, whatever n, with lookup drafts kept", async () => {
        for (const options of [
            {lookupNgram: 1}, {lookupNgram: 2, maxLittleTokens: 3}, {lookupNgram: 3, fallbackThreshold: 0.5, rollbackThreshold: 0},
            {mode: "speculative", lookupNgram: 2, draftTokens: 5}, {lookupNgram: 2, repeatPenalty: 1.3}
        ] as const) {
            const generator = decoder();
            for (const prompt of prompts) {
                const result = await generator.generate(prompt, {mode: "bild", ...options, drafters: "lookup+little", maxTokens: 40});
                assert.deepEqual(result.tokens, greedyReference(fakeCodec.encodePrompt(prompt), bigLogits, 40, repetitionPenaltyOf(options)), JSON.stringify(options));
            }
        }
    });

    it("drafts from the lookup where the text repeats: fewer little-model calls than without it", async () => {
        const calls = async (drafters: "little" | "lookup+little") => {
            const little = new FakeSequence((context) => littleLogits(context, 1, 2, 0.6));
            const generator = new Decoder({big: new FakeSequence(bigLogits), little, codec: fakeCodec, contextSize: 4096});
            for (const prompt of prompts)
                await generator.generate(prompt, {mode: "bild", drafters, ...(drafters === "little" ? {} : {lookupNgram: 1}), maxTokens: 60});
            return little.calls;
        };
        const [plain, withLookup] = [await calls("little"), await calls("lookup+little")];
        assert.ok(withLookup < plain, `${withLookup} little calls with lookup vs ${plain} without`);
    });
});
