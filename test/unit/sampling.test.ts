import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {TokenDistribution} from "../../src/decoding/sampling/TokenDistribution.js";
import {seededRandom} from "../../src/decoding/sampling/RandomSource.js";
import {SpeculativeSamplingPolicy} from "../../src/decoding/policies/SpeculativeSamplingPolicy.js";
import type {RollbackPolicy} from "../../src/decoding/policies/RollbackPolicy.js";
import {ResampleFromBigPolicy} from "../support/wrongPolicies.js";
import {chiSquareTest, countDraws, SIGNIFICANCE} from "../support/chiSquare.js";

const pairs = (logits: readonly number[]) => logits.flatMap((logit, token) => [token, logit]);
const off = {temperature: 1, topK: 0, topP: 1, minP: 0};
const probabilities = (distribution: TokenDistribution, vocabulary: number) =>
    Array.from({length: vocabulary}, (_, token) => distribution.probabilityOf(token));

function softmax(logits: readonly number[]): number[] {
    const max = Math.max(...logits);
    const weights = logits.map((logit) => Math.exp(logit - max));
    const total = weights.reduce((a, b) => a + b, 0);
    return weights.map((weight) => weight / total);
}

function assertClose(actual: readonly number[], expected: readonly number[]): void {
    assert.equal(actual.length, expected.length);
    actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) < 1e-12, `token ${i}: ${value} ≠ ${expected[i]}`));
}

describe("TokenDistribution", () => {
    const logits = [2, 0.5, 3, -1, 1, 2.5];

    it("is the softmax of logits / temperature", () => {
        assertClose(probabilities(TokenDistribution.fromLogits(pairs(logits), off), 6), softmax(logits));
        assertClose(probabilities(TokenDistribution.fromLogits(pairs(logits), {...off, temperature: 0.5}), 6), softmax(logits.map((l) => l * 2)));
    });

    it("tends to the greedy choice as the temperature tends to 0, down to denormal temperatures", () => {
        for (const temperature of [1e-6, 1e-300, 1e-310, Number.MIN_VALUE])
            assertClose(probabilities(TokenDistribution.fromLogits(pairs(logits), {...off, temperature}), 6), [0, 0, 1, 0, 0, 0]);
        // Tied most likely tokens share the mass.
        assertClose(probabilities(TokenDistribution.fromLogits(pairs([1, 3, 3]), {...off, temperature: 1e-310}), 3), [0, 0.5, 0.5]);
    });

    it("does not depend on the order the logits come in", () => {
        const scrambled = [3, 0, 5, 1, 4, 2].flatMap((token) => [token, logits[token]!]);
        const settings = {temperature: 0.8, topK: 4, topP: 0.9, minP: 0.05};
        assertClose(
            probabilities(TokenDistribution.fromLogits(scrambled, settings), 6),
            probabilities(TokenDistribution.fromLogits(pairs(logits), settings), 6)
        );
    });

    it("top-k keeps the k most likely tokens, renormalised", () => {
        const kept = softmax([2, 3, 2.5]);
        assertClose(probabilities(TokenDistribution.fromLogits(pairs(logits), {...off, topK: 3}), 6), [kept[0]!, 0, kept[1]!, 0, 0, kept[2]!]);
    });

    it("top-p keeps the smallest most likely set reaching p, after temperature", () => {
        const p = softmax(logits); // tokens by probability: 2, 5, 0, 4, 1, 3
        const mass = p[2]! + p[5]!;
        const justBelow = TokenDistribution.fromLogits(pairs(logits), {...off, topP: mass - 1e-9});
        assert.equal(justBelow.size, 2);
        assert.ok(Math.abs(justBelow.probabilityOf(2) - p[2]! / mass) < 1e-12);
        assert.equal(TokenDistribution.fromLogits(pairs(logits), {...off, topP: mass + 1e-9}).size, 3);
        // Colder means more peaked: the same p keeps fewer tokens.
        assert.equal(TokenDistribution.fromLogits(pairs(logits), {...off, topP: 0.8, temperature: 0.1}).size, 1);
    });

    it("min-p drops tokens less likely than min-p times the top probability", () => {
        // Relative to token 2: token 5 has e^-0.5 = 0.61, token 0 e^-1 = 0.37, token 4 e^-2 = 0.14.
        const distribution = TokenDistribution.fromLogits(pairs(logits), {...off, minP: 0.3});
        assert.deepEqual(probabilities(distribution, 6).map((p) => p > 0), [true, false, true, false, false, true]);
        assert.equal(distribution.topToken, 2);
    });

    it("samples by cumulative probability", () => {
        const distribution = TokenDistribution.fromLogits(pairs([0, 0, Math.log(2)]), off);
        assert.equal(distribution.sample(0), 0);
        assert.equal(distribution.sample(0.24), 0);
        assert.equal(distribution.sample(0.26), 1);
        assert.equal(distribution.sample(0.51), 2);
        assert.equal(distribution.sample(1 - 1e-16), 2);
    });

    it("residual is norm(max(0, p − q)), undefined when p = q", () => {
        const p = TokenDistribution.fromLogits(pairs([Math.log(0.5), Math.log(0.3), Math.log(0.2)]), off);
        const q = TokenDistribution.fromLogits(pairs([Math.log(0.2), Math.log(0.6), Math.log(0.2)]), off);
        assertClose(probabilities(p.residual(q)!, 3), [1, 0, 0]);
        assertClose(probabilities(q.residual(p)!, 3), [0, 1, 0]);
        assert.equal(p.residual(p), undefined);
    });
});

describe("seededRandom", () => {
    it("repeats its numbers for a seed and differs across seeds", () => {
        const draw = (seed: number) => Array.from({length: 5}, seededRandom(seed).next);
        assert.deepEqual(draw(7), draw(7));
        assert.notDeepEqual(draw(7), draw(8));
        assert.ok(draw(9).every((u) => u >= 0 && u < 1));
    });

    it("spreads consecutive seeds: their first numbers are uniform (chi-square, 10 bins)", () => {
        const firsts = countDraws(Array.from({length: 2000}, (_, seed) => Math.floor(seededRandom(seed).next() * 10)));
        const fit = chiSquareTest(firsts, new Map(Array.from({length: 10}, (_, bin) => [bin, 0.1])));
        assert.ok(fit.pValue > SIGNIFICANCE, `p-value ${fit.pValue}`);
    });
});

describe("SpeculativeSamplingPolicy", () => {
    const p = TokenDistribution.fromLogits(pairs([1.5, 0.2, -0.5, 0.9, 0, -2]), off);
    const q = TokenDistribution.fromLogits(pairs([0.1, 1.4, 0.3, 0.9, -1, 0.5]), off);
    const expected = new Map(probabilities(p, 6).map((probability, token) => [token, probability]));

    function draw(policy: RollbackPolicy, draws: number): Map<number, number> {
        const random = seededRandom(2024);
        return countDraws(Array.from({length: draws}, () => {
            const token = q.sample(random.next());
            const choice = (distribution: TokenDistribution) => ({token, topProbability: distribution.topProbability, scoredNll: Number.NaN, distribution});
            return policy.review(choice(p), choice(q), random) ?? token;
        }));
    }

    it("turns draws from q into draws from p (chi-square, 20 000 draws)", () => {
        const fit = chiSquareTest(draw(new SpeculativeSamplingPolicy(), 20_000), expected);
        assert.ok(fit.pValue > SIGNIFICANCE, `p-value ${fit.pValue}, χ² ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} dof`);
    });

    it("the same test rejects a rule that resamples from p instead of the residual", () => {
        const fit = chiSquareTest(draw(new ResampleFromBigPolicy(), 20_000), expected);
        assert.ok(fit.pValue < 1e-6, `wrong rule passed: p-value ${fit.pValue}`);
    });

    it("accepts exactly the big model's argmax when choices are greedy", () => {
        const policy = new SpeculativeSamplingPolicy();
        const noRandom = {next: () => assert.fail("greedy verification drew a random number")};
        const greedy = (token: number) => ({token, topProbability: 0.5, scoredNll: Number.NaN});
        assert.equal(policy.review(greedy(3), greedy(3), noRandom), undefined);
        assert.equal(policy.review(greedy(3), greedy(4), noRandom), 3);
    });
});
