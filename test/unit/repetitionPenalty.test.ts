import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {planDecoding} from "../../src/decoding/DecodingPlan.js";
import {repetitionPenaltyOf} from "../../src/decoding/sampling/SamplingOptions.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {penaltyWindows, type RepetitionPenalty} from "../../src/engine/RepetitionPenalty.js";
import {BildUsageError} from "../../src/errors.js";
import {FakeSequence, fakeCodec, fakeLogits, greedyReference, littleLogits} from "../support/fakeModels.js";
import {penalizeLogits} from "../support/penaltyReference.js";

const bigLogits = (context: readonly Token[]) => fakeLogits(context, 1);
const PROMPTS = Array.from({length: 30}, (_, i) => "abcdefg".repeat(3).slice(i % 7, i % 7 + 1 + (i % 12)));

const PENALTIES: GenerateOptions[] = [
    {repeatPenalty: 1.3},
    {repeatPenalty: 1.1, repeatLastN: 4},
    {frequencyPenalty: 0.4, presencePenalty: 0.3},
    {repeatPenalty: 0.8, frequencyPenalty: -0.5},
    {repeatPenalty: 1.5, repeatLastN: 1}
];

async function outputs(options: GenerateOptions, maxTokens = 40): Promise<Token[][]> {
    const decoder = new Decoder({
        big: new FakeSequence(bigLogits), little: new FakeSequence((context) => littleLogits(context, 1, 2, 0.6)), codec: fakeCodec, contextSize: 4096
    });
    const results: Token[][] = [];
    for (const prompt of PROMPTS)
        results.push((await decoder.generate(prompt, {...options, maxTokens})).tokens);
    return results;
}

describe("repetition penalties (llama.cpp's rule)", () => {
    it("windows end at each output's own token and reach back at most n tokens, over the cache and the batch", () => {
        assert.deepEqual(penaltyWindows([1, 2, 3], [4, 5], 2, 3).map((window) => [...window]), [[2, 3, 4], [3, 4, 5]]);
        assert.deepEqual(penaltyWindows([], [7, 8], 2, 64).map((window) => [...window]), [[7], [7, 8]]);
        assert.deepEqual(penaltyWindows([1, 2], [3], 1, 1).map((window) => [...window]), [[3]]);
    });

    it("a penalty that changes nothing is none, as llama.cpp decides it in single precision", () => {
        assert.equal(repetitionPenaltyOf({}), undefined);
        assert.equal(repetitionPenaltyOf({repeatPenalty: 1 + 1e-9}), undefined);
        assert.equal(repetitionPenaltyOf({repeatPenalty: 1.2, repeatLastN: 0}), undefined);
        assert.deepEqual(repetitionPenaltyOf({presencePenalty: 0.5}), {repeat: 1, lastN: 64, frequency: 0, presence: 0.5});
    });

    it("big greedy with a penalty is the greedy decoding of the penalised logits, and differs from it without", async () => {
        for (const options of PENALTIES) {
            const penalty = repetitionPenaltyOf(options)!;
            const results = await outputs({mode: "big", ...options});
            results.forEach((tokens, i) => assert.deepEqual(tokens, greedyReference(fakeCodec.encodePrompt(PROMPTS[i]!), bigLogits, 40, penalty)));
            const plain = await outputs({mode: "big"});
            assert.ok(results.some((tokens, i) => tokens.join() !== plain[i]!.join()), `${JSON.stringify(options)} changes some output`);
        }
    });

    it("every lossless mode writes what big writes under the same penalty, with and without penalised drafts", async () => {
        const lossless: GenerateOptions[] = [
            {mode: "bild"}, {mode: "bild", draftPenalty: false}, {mode: "bild", fallbackThreshold: 0.6, rollbackThreshold: 0},
            {mode: "bild", fallbackThreshold: 0.2, rollbackThreshold: 0, draftPenalty: false}, {mode: "speculative", draftTokens: 3},
            {mode: "speculative", draftPenalty: false}, {mode: "lookup", lookupNgram: 1, draftTokens: 4}
        ];
        for (const options of PENALTIES) {
            const reference = await outputs({mode: "big", ...options});
            for (const mode of lossless)
                assert.deepEqual(await outputs({...mode, ...options}), reference, `${JSON.stringify({...mode, ...options})}`);
        }
    });

    it("the little model alone decodes under the penalty too", async () => {
        const penalty: RepetitionPenalty = {repeat: 1.3, lastN: 64, frequency: 0, presence: 0};
        const littleOf = (context: readonly Token[]) => littleLogits(context, 1, 2, 0.6);
        const results = await outputs({mode: "little", repeatPenalty: 1.3});
        results.forEach((tokens, i) => assert.deepEqual(tokens, greedyReference(fakeCodec.encodePrompt(PROMPTS[i]!), littleOf, 40, penalty)));
    });

    it("the reference divides positive logits, multiplies the rest, then subtracts frequency × count and presence", () => {
        const penalized = penalizeLogits([2, -2, 1, 5], [0, 1, 1, 3, 3, 3], {repeat: 2, lastN: 5, frequency: 0.5, presence: 0.25});
        // Window [1, 1, 3, 3, 3]: token 0 falls outside it.
        assert.deepEqual(penalized, [2, -4 - 1 - 0.25, 1, 2.5 - 1.5 - 0.25]);
    });

    it("refuses out-of-range penalties with the setting's name and range", () => {
        for (const [options, message] of [
            [{repeatPenalty: 0}, /repeatPenalty must be a number > 0 and ≤ 10, got 0/],
            [{frequencyPenalty: 2.5}, /frequencyPenalty must be a number from -2 to 2, got 2.5/],
            [{presencePenalty: Number.NaN}, /presencePenalty must be a number from -2 to 2/],
            [{repeatLastN: -1}, /repeatLastN must be an integer from 0 to 65536, got -1/],
            [{mode: "big", draftPenalty: false}, /draftPenalty applies to bild and speculative mode, not to big/]
        ] as const)
            assert.throws(() => planDecoding(options as GenerateOptions), (error: Error) => error instanceof BildUsageError && message.test(error.message));
    });
});
