import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import type {RollbackPolicy} from "../../src/decoding/policies/RollbackPolicy.js";
import {TokenDistribution} from "../../src/decoding/sampling/TokenDistribution.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {chiSquareTest, countDraws, SIGNIFICANCE} from "../support/chiSquare.js";
import {FakeSequence, fakeCodec, fakeLogits, littleLogits} from "../support/fakeModels.js";
import {ResampleFromBigPolicy} from "../support/wrongPolicies.js";
import {penalizeLogits} from "../support/penaltyReference.js";
import {repetitionPenaltyOf} from "../../src/decoding/sampling/SamplingOptions.js";

const BIG_SEED = 1;
const bigLogits = (context: readonly Token[]) => fakeLogits(context, BIG_SEED);
const VOCABULARY = bigLogits([]).length;

function makeDecoder() {
    const big = new FakeSequence(bigLogits);
    const little = new FakeSequence((context) => littleLogits(context, BIG_SEED, 2, 0.8));
    return new Decoder({big, little, codec: fakeCodec, contextSize: 4096});
}

const PROMPTS = ["a", "bc", "gfe", "dab", "cc"];
const MODES: GenerateOptions[] = [
    {mode: "big"}, {mode: "little"}, {mode: "speculative"}, {mode: "bild"}, {mode: "bild", strict: true, fallbackThreshold: 0.6},
    {mode: "bild", rollbackThreshold: 2}, {mode: "bild", runConfidence: 0.3, rollbackThreshold: 1}
];
const label = (options: GenerateOptions) => JSON.stringify(options);

async function outputs(options: GenerateOptions): Promise<Token[][]> {
    const decoder = makeDecoder();
    const results: Token[][] = [];
    for (const prompt of PROMPTS)
        results.push((await decoder.generate(prompt, {maxTokens: 30, ...options})).tokens);
    return results;
}

describe("sampling through the Decoder (scripted models)", () => {
    for (const options of MODES) {
        it(`${label(options)}: same seed, same output; other seeds, other outputs`, async () => {
            const sampled = {...options, temperature: 1, topP: 0.95, seed: 11};
            assert.deepEqual(await outputs(sampled), await outputs(sampled));
            assert.notDeepEqual(await outputs(sampled), await outputs({...sampled, seed: 12}));
        });

        // Lossy BiLD thresholds act on the adjusted distributions, which turn one-hot as the
        // temperature falls: confidence → 1 and −log p_big of any other token → ∞, so its limit is
        // the lossless output (the big model's greedy output), not lossy greedy BiLD's.
        const lossy = options.rollbackThreshold != null;
        it(`${label(options)}: temperature → 0 gives the ${lossy ? "big model's" : "same mode's"} greedy output`, async () => {
            assert.deepEqual(await outputs({...options, temperature: 1e-6, seed: 5}), await outputs(lossy ? {mode: "big"} : options));
        });
    }

    it("reports the seed it drew, and that seed replays the generation", async () => {
        const decoder = makeDecoder();
        const first = await decoder.generate("ab", {temperature: 1, maxTokens: 20});
        assert.ok(Number.isInteger(first.seed));
        assert.deepEqual((await decoder.generate("ab", {temperature: 1, maxTokens: 20, seed: first.seed!})).tokens, first.tokens);
        assert.equal((await decoder.generate("ab", {maxTokens: 5})).seed, undefined, "greedy has no seed");
    });
});

/**
 * The big model's own distribution of the first two generated tokens after `prompt`, as one
 * outcome id per pair (first · V + second).
 */
function bigPairDistribution(prompt: readonly Token[], temperature: number, penaltyOptions: GenerateOptions = {}): Map<number, number> {
    const settings = {temperature, topK: 0, topP: 1, minP: 0};
    const penalty = repetitionPenaltyOf(penaltyOptions);
    const logitsAfter = (context: readonly Token[]) => penalty == null ? bigLogits(context) : penalizeLogits(bigLogits(context), context, penalty);
    const distributionAfter = (context: readonly Token[]) => TokenDistribution.fromLogits(logitsAfter(context).flatMap((l, t) => [t, l]), settings);
    const first = distributionAfter(prompt);
    const expected = new Map<number, number>();
    for (let a = 0; a < VOCABULARY; a++) {
        const second = distributionAfter([...prompt, a]);
        for (let b = 0; b < VOCABULARY; b++)
            expected.set(a * VOCABULARY + b, first.probabilityOf(a) * second.probabilityOf(b));
    }
    return expected;
}

async function pairDraws(options: GenerateOptions, draws: number): Promise<Map<number, number>> {
    const decoder = makeDecoder();
    const outcomes: number[] = [];
    for (let seed = 0; seed < draws; seed++) {
        const {tokens} = await decoder.generate("ab", {...options, temperature: 1, maxTokens: 2, seed});
        outcomes.push(tokens[0]! * VOCABULARY + tokens[1]!);
    }
    return countDraws(outcomes);
}

describe("strict sampling is exact (scripted models, chi-square over the first two tokens, 8000 seeds)", () => {
    const expected = bigPairDistribution(fakeCodec.encodePrompt("ab"), 1);
    const exact: [string, GenerateOptions][] = [
        ["speculative, k = 1 (accept + bonus token)", {mode: "speculative", draftTokens: 1}],
        ["speculative, k = 4", {mode: "speculative"}],
        ["bild strict", {mode: "bild", strict: true, fallbackThreshold: 0.2}],
        ["bild, α_RB = 0 (exact, fewer drafts kept)", {mode: "bild", rollbackThreshold: 0, fallbackThreshold: 0.2}],
        ["bild strict, lookup first (n = 1)", {mode: "bild", strict: true, fallbackThreshold: 0.2, drafters: "lookup+little", lookupNgram: 1}],
        ["bild strict, n-gram memory first (n = 2)", {mode: "bild", strict: true, fallbackThreshold: 0.2, drafters: "ngram+little", ngramMinMatch: 2}],
        ["big", {mode: "big"}]
    ];
    for (const [name, options] of exact)
        it(name, async () => {
            const fit = chiSquareTest(await pairDraws(options, 8000), expected);
            assert.ok(fit.pValue > SIGNIFICANCE, `p-value ${fit.pValue}, χ² ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} dof`);
        });

    for (const [name, drafting] of [
        ["lookup drafting (a drafter without a distribution) after a prompt that repeats", {mode: "lookup", lookupNgram: 2}],
        ["n-gram drafting (a drafter without a distribution) after a prompt that repeats", {mode: "ngram", ngramMinMatch: 2}]
    ] as const) it(name, async () => {
        // "abcab": the suffix "ab" occurred before, so "c…" is drafted at the first position.
        const prompt = "abcab";
        const outcomes: number[] = [];
        let accepted = 0;
        for (let seed = 0; seed < 8000; seed++) {
            const {tokens, stats} = await makeDecoder().generate(prompt, {...drafting, temperature: 1, topK: 0, maxTokens: 2, seed});
            outcomes.push(tokens[0]! * VOCABULARY + tokens[1]!);
            accepted += stats.draftAccepted;
        }
        assert.ok(accepted > 0, "no draft was kept: the test does not exercise the drafter");
        const fit = chiSquareTest(countDraws(outcomes), bigPairDistribution(fakeCodec.encodePrompt(prompt), 1));
        assert.ok(fit.pValue > SIGNIFICANCE, `p-value ${fit.pValue}, χ² ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} dof`);
    });

    // A strong penalty over a short window: the first two tokens' distribution moves far from the plain one.
    const PENALTY: GenerateOptions = {repeatPenalty: 1.6, presencePenalty: 0.5, frequencyPenalty: 0.3, repeatLastN: 3};
    const penalized = bigPairDistribution(fakeCodec.encodePrompt("ab"), 1, PENALTY);
    for (const [name, options] of [
        ["under a repetition penalty: bild strict, drafts penalised", {mode: "bild", strict: true, fallbackThreshold: 0.2}],
        ["under a repetition penalty: speculative, drafts not penalised", {mode: "speculative", draftPenalty: false}],
        ["under a repetition penalty: big", {mode: "big"}]
    ] as const)
        it(name, async () => {
            const draws = await pairDraws({...options, ...PENALTY}, 8000);
            const fit = chiSquareTest(draws, penalized);
            assert.ok(fit.pValue > SIGNIFICANCE, `p-value ${fit.pValue}, χ² ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} dof`);
            assert.ok(chiSquareTest(draws, expected).pValue < 1e-6, "the penalty moves the distribution (else the test has no power)");
        });

    const wrong: [string, GenerateOptions & {rollbackPolicy?: RollbackPolicy}][] = [
        ["a wrong acceptance rule (resample from p) fails", {mode: "bild", rollbackPolicy: new ResampleFromBigPolicy(), fallbackThreshold: 0}],
        ["lossy bild (α_RB = 2) differs from the big model", {mode: "bild", rollbackThreshold: 2, fallbackThreshold: 0}]
    ];
    for (const [name, options] of wrong)
        it(name, async () => {
            const fit = chiSquareTest(await pairDraws(options, 8000), expected);
            assert.ok(fit.pValue < 1e-6, `p-value ${fit.pValue}`);
        });
});
