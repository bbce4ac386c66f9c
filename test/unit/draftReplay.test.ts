import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {AdaptiveRunLength} from "../../src/decoding/policies/AdaptiveRunLength.js";
import {DraftConfidencePolicy} from "../../src/decoding/policies/DraftConfidencePolicy.js";
import {repetitionPenaltyOf} from "../../src/decoding/sampling/SamplingOptions.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {agreeingRuns, littleDraftRuns, lookupFirstOracleSchedule} from "../../src/eval/draftReplay.js";
import {recordedBig, recordedLittle, ReplayedSequence} from "../../src/eval/ReplayedSequence.js";
import {FakeSequence, fakeCodec, fakeLogits, littleLogits} from "../support/fakeModels.js";

const FAKE_VOCABULARY = new FakeSequence(() => []).vocabularySize;

describe("drafting replay", () => {
    it("the lookup-first oracle takes the cheapest mix of big alone, little runs and lookup runs", () => {
        const little = {curve: [{tokens: 1, ms: 1}, {tokens: 2, ms: 2}]};
        const big = {curve: [{tokens: 1, ms: 10}, {tokens: 2, ms: 11}]};
        const lookup = [3, 2, 1, 0, 0, 0].map((agreeing) => ({proposed: 8, agreeing}));
        // Lookup's 3 (13 ms with big's token), then the little model's run of 1 (2 calls, 11 ms).
        assert.deepEqual(lookupFirstOracleSchedule([0, 0, 0, 2, 1, 0], lookup, 5, little, big), {little: [9, 1], big: [8, 2]});
        assert.deepEqual(agreeingRuns([1, 1, 2, 1, Number.POSITIVE_INFINITY, 1]), [2, 1, 0, 1, 0, 1]);
    });

    // The check that gives the replayed rows their meaning: the decoder, run over what the models
    // read along the output it wrote, makes exactly the calls it made over the models themselves,
    // feeding as many tokens, and writes the same output.
    it("the decoder over recorded reads makes the calls it makes over scripted models, with and without a penalty, lookup or n-gram first", async () => {
        const bigLogits = (context: readonly Token[]) => fakeLogits(context, 1);
        const littleOf = (context: readonly Token[]) => littleLogits(context, 1, 2, 0.6);
        const cases: GenerateOptions[] = [
            {mode: "bild", drafters: "little"},
            {mode: "bild", drafters: "little", runConfidence: 0.3, maxLittleTokens: 3},
            {mode: "bild", drafters: "little", rollbackThreshold: 0, fallbackThreshold: 0.5, maxLittleTokens: 4},
            {mode: "bild", drafters: "little", fallbackThreshold: 0, maxLittleTokens: 3},
            {mode: "bild", drafters: "lookup+little", lookupNgram: 2},
            {mode: "bild"},
            {mode: "bild", fallbackPolicy: new AdaptiveRunLength(new DraftConfidencePolicy(0.3, 6), 6)},
            {mode: "bild", adaptiveRunLength: true},
            {mode: "speculative", drafters: "little", draftTokens: 4, adaptiveRunLength: true}
        ];
        const flat = {curve: [{tokens: 1, ms: 1}, {tokens: 100, ms: 100}]};
        let compared = 0;
        for (const penaltyOptions of [{}, {repeatPenalty: 1.3, repeatLastN: 8}])
            for (const options of cases)
                for (const text of ["abc", "gfedcba", "aaab", "cab", "abcabcab"]) {
                    const settings = {...options, ...penaltyOptions, maxTokens: 40};
                    const decoder = new Decoder({big: new FakeSequence(bigLogits), little: new FakeSequence(littleOf), codec: fakeCodec, contextSize: 4096});
                    const result = await decoder.generate(text, settings);
                    // An end-of-generation token ends the recorded output, which a replay of max tokens does not reach.
                    if (result.finishReason !== "length")
                        continue;
                    const prompt = fakeCodec.encodePrompt(text);
                    const runs = await littleDraftRuns(new FakeSequence(littleOf), prompt, result.tokens, 16, repetitionPenaltyOf(settings));
                    const big = new ReplayedSequence(recordedBig(prompt, result.tokens), flat, FAKE_VOCABULARY);
                    const little = new ReplayedSequence(recordedLittle(prompt, result.tokens, runs), flat, FAKE_VOCABULARY);
                    const replayed = await new Decoder({big, little, codec: fakeCodec, contextSize: 4096}).generate(prompt, settings);
                    const label = `${JSON.stringify(settings)} on ${text}`;
                    assert.deepEqual(replayed.tokens, result.tokens, label);
                    const {stats} = result;
                    assert.deepEqual(
                        [replayed.stats.littleCalls, replayed.stats.littleTokensEvaluated, replayed.stats.bigCalls, replayed.stats.bigTokensEvaluated],
                        [stats.littleCalls, stats.littleTokensEvaluated, stats.bigCalls, stats.bigTokensEvaluated], label
                    );
                    // On a flat curve a call costs the tokens it feeds.
                    assert.equal(big.ms + little.ms, stats.bigTokensEvaluated + stats.littleTokensEvaluated, label);
                    compared++;
                }
        assert.ok(compared >= 40, `only ${compared} generations ran to max tokens`);
    });

    it("a replayed model answers off its recorded path with an id past the vocabulary, which no output holds", async () => {
        const big = new ReplayedSequence(recordedBig([1, 2], [3, 4]), {curve: [{tokens: 1, ms: 2}]}, 10);
        const facts = await big.evaluate([1, 2, 3, 9], 3, [3, 5, undefined]);
        assert.deepEqual(facts.map((each) => [each.token, each.scoredNll]), [[3, 0], [4, Number.POSITIVE_INFINITY], [10, Number.NaN]]);
        assert.equal(big.ms, 8);
        const little = new ReplayedSequence(recordedLittle([1], [3, 4], [[{token: 5, topProbability: 0.5, scoredNll: Number.NaN}], []]), {curve: [{tokens: 1, ms: 1}]}, 10);
        assert.equal((await little.evaluate([1], 1))[0]!.token, 5);
        assert.equal((await little.evaluate([5], 1))[0]!.token, 10, "past the recorded run");
    });
});
