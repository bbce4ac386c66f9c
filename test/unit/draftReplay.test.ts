import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {ConfidenceFallbackPolicy} from "../../src/decoding/policies/ConfidenceFallbackPolicy.js";
import {DraftConfidencePolicy} from "../../src/decoding/policies/DraftConfidencePolicy.js";
import type {FallbackPolicy} from "../../src/decoding/policies/FallbackPolicy.js";
import {repetitionPenaltyOf} from "../../src/decoding/sampling/SamplingOptions.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {agreeingRuns, littleDraftRuns, lookupFirstOracleSchedule, replaySchedule} from "../../src/eval/draftReplay.js";
import {lookupAgreement} from "../../src/eval/lookupAgreement.js";
import {FakeSequence, fakeCodec, fakeLogits, littleLogits} from "../support/fakeModels.js";

const facts = (token: Token, topProbability: number) => ({token, topProbability, scoredNll: Number.NaN});
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

describe("drafting replay", () => {
    it("asks the rule as the decoder does and feeds each model what its cache has not seen", () => {
        const output = [10, 11, 12, 13, 14, 15];
        const runs = [
            [facts(10, 0.9), facts(11, 0.9), facts(99, 0.9)],
            [], [],
            // The paper's rule drops the unsure 77 and sends 13 alone.
            [facts(13, 0.9), facts(77, 0.3), facts(15, 0.9)],
            [],
            [facts(15, 0.9)]
        ];
        // Run 1: three drafts (the prompt in the first call), 2 kept, big writes 12. Run 2: 13, then
        // 77 drafted and dropped, big writes 14. Run 3: 15 reaches the end.
        assert.deepEqual(replaySchedule(runs, output, 5, new ConfidenceFallbackPolicy(0.5, 3)), {little: [5, 1, 1, 1, 1, 1], big: [8, 2, 2]});
    });

    it("with lookup first, spends no little call on a lookup run and the little model catches up after it", () => {
        const output = [10, 11, 12, 13, 14, 15];
        const runs = [[], [], [], [], [facts(14, 0.9), facts(77, 0.9)], []];
        const lookup = [{proposed: 3, agreeing: 3}, ...Array.from({length: 5}, () => ({proposed: 0, agreeing: 0}))];
        // Lookup's 10 11 12 kept and big's 13: the little model then feeds prompt and those 4 at once.
        assert.deepEqual(replaySchedule(runs, output, 5, new ConfidenceFallbackPolicy(0.5, 3), lookup), {little: [9, 1], big: [8, 3]});
    });

    it("the lookup-first oracle takes the cheapest mix of big alone, little runs and lookup runs", () => {
        const little = {curve: [{tokens: 1, ms: 1}, {tokens: 2, ms: 2}]};
        const big = {curve: [{tokens: 1, ms: 10}, {tokens: 2, ms: 11}]};
        const lookup = [3, 2, 1, 0, 0, 0].map((agreeing) => ({proposed: 8, agreeing}));
        // Lookup's 3 (13 ms with big's token), then the little model's run of 1 (2 calls, 11 ms).
        assert.deepEqual(lookupFirstOracleSchedule([0, 0, 0, 2, 1, 0], lookup, 5, little, big), {little: [9, 1], big: [8, 2]});
        assert.deepEqual(agreeingRuns([1, 1, 2, 1, Number.POSITIVE_INFINITY, 1]), [2, 1, 0, 1, 0, 1]);
    });

    // The check that gives the replayed rows their meaning: along the output the decoder wrote, the
    // replay makes exactly the calls the decoder made, feeding as many tokens.
    it("replays the decoder's own calls on scripted models, with and without a penalty and lookup first", async () => {
        const bigLogits = (context: readonly Token[]) => fakeLogits(context, 1);
        const littleOf = (context: readonly Token[]) => littleLogits(context, 1, 2, 0.6);
        const cases: {options: GenerateOptions, policy: () => FallbackPolicy, maxDraft: number}[] = [
            {options: {mode: "bild", drafters: "little"}, policy: () => new DraftConfidencePolicy(), maxDraft: 10},
            {options: {mode: "bild", drafters: "little", runConfidence: 0.3, maxLittleTokens: 3}, policy: () => new DraftConfidencePolicy(0.3, 3), maxDraft: 3},
            {options: {mode: "bild", drafters: "little", rollbackThreshold: 0, fallbackThreshold: 0.5, maxLittleTokens: 4}, policy: () => new ConfidenceFallbackPolicy(0.5, 4), maxDraft: 4},
            {options: {mode: "speculative", drafters: "little", draftTokens: 3}, policy: () => new ConfidenceFallbackPolicy(0, 3), maxDraft: 3},
            {options: {mode: "bild", drafters: "lookup+little", lookupNgram: 2}, policy: () => new DraftConfidencePolicy(), maxDraft: 10}
        ];
        let compared = 0;
        for (const penaltyOptions of [{}, {repeatPenalty: 1.3, repeatLastN: 8}])
            for (const {options, policy, maxDraft} of cases) {
                const decoder = new Decoder({big: new FakeSequence(bigLogits), little: new FakeSequence(littleOf), codec: fakeCodec, contextSize: 4096});
                for (const text of ["abc", "gfedcba", "aaab", "cab"]) {
                    const settings = {...options, ...penaltyOptions, maxTokens: 40};
                    const result = await decoder.generate(text, settings);
                    // An end-of-generation token ends a run early, which the replay (of max-token runs) does not model.
                    if (result.finishReason !== "length")
                        continue;
                    const prompt = fakeCodec.encodePrompt(text);
                    const runs = await littleDraftRuns(new FakeSequence(littleOf), prompt, result.tokens, maxDraft, repetitionPenaltyOf(settings));
                    const lookup = options.lookupNgram == null ? undefined : await lookupAgreement(prompt, result.tokens, options.lookupNgram, maxDraft);
                    const schedule = replaySchedule(runs, result.tokens, prompt.length, policy(), lookup);
                    const {stats} = result;
                    const label = `${JSON.stringify(settings)} on ${text}`;
                    assert.deepEqual(
                        [schedule.little.length, sum(schedule.little), schedule.big.length, sum(schedule.big)],
                        [stats.littleCalls, stats.littleTokensEvaluated, stats.bigCalls, stats.bigTokensEvaluated], label
                    );
                    compared++;
                }
            }
        assert.ok(compared >= 30, `only ${compared} generations ran to max tokens`);
    });
});
