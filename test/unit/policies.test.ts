import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {ConfidenceFallbackPolicy} from "../../src/decoding/policies/ConfidenceFallbackPolicy.js";
import {NllRollbackPolicy} from "../../src/decoding/policies/NllRollbackPolicy.js";
import {DEFAULT_RUN_CONFIDENCE, DraftConfidencePolicy} from "../../src/decoding/policies/DraftConfidencePolicy.js";
import {resolveGenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {SpeculativeSamplingPolicy} from "../../src/decoding/policies/SpeculativeSamplingPolicy.js";
import {BildUsageError} from "../../src/errors.js";

const facts = (token: number, probability: number, scoredNll = Number.NaN) => ({token, probability, scoredNll});
const draft7 = facts(7, 0.9);

describe("ConfidenceFallbackPolicy", () => {
    it("falls back below the threshold, not at or above it", () => {
        const policy = new ConfidenceFallbackPolicy(0.6, 10);
        assert.equal(policy.onDraft(facts(1, 0.59)), "dropAndVerify");
        assert.equal(policy.onDraft(facts(1, 0.6)), "continue");
        assert.equal(policy.onDraft(facts(1, 0.99)), "continue");
    });

    it("falls back before drafting once max little tokens are drafted in a row", () => {
        const policy = new ConfidenceFallbackPolicy(0.6, 3);
        assert.deepEqual([0, 1, 2, 3, 4].map((n) => policy.beforeDraft(n)), [false, false, false, true, true]);
        assert.equal(new ConfidenceFallbackPolicy(0.6, Number.POSITIVE_INFINITY).beforeDraft(1e9), false);
    });

    it("defaults to the paper's α_FB = 0.6 and 10 tokens", () => {
        const policy = new ConfidenceFallbackPolicy();
        assert.equal(policy.threshold, 0.6);
        assert.equal(policy.maxLittleTokens, 10);
    });
});

describe("DraftConfidencePolicy", () => {
    it("drafts while the run's probability product stays above the floor, then keeps the crossing token for verification", () => {
        const policy = new DraftConfidencePolicy(0.2, 10);
        assert.equal(policy.onDraft(facts(1, 0.8), 0), "continue");
        assert.equal(policy.onDraft(facts(1, 0.5), 1), "continue", "0.8 · 0.5 = 0.4");
        assert.equal(policy.onDraft(facts(1, 0.4), 2), "keepAndVerify", "0.4 · 0.4 = 0.16 < 0.2");
        assert.equal(policy.onDraft(facts(1, 0.3), 0), "continue", "a new run starts from 1");
        assert.equal(policy.onDraft(facts(1, 0.1), 0), "keepAndVerify");
    });

    it("stops before drafting at the run length limit", () => {
        const policy = new DraftConfidencePolicy(0.2, 4);
        assert.equal(policy.beforeDraft(3), false);
        assert.equal(policy.beforeDraft(4), true);
    });
});

describe("NllRollbackPolicy", () => {
    it("rolls back only where −log p_big exceeds the threshold and big's argmax differs", () => {
        const policy = new NllRollbackPolicy(2);
        assert.equal(policy.review(facts(5, 0.9, 2.5), draft7), 5);
        assert.equal(policy.review(facts(5, 0.9, 2.0), draft7), undefined, "at the threshold: kept");
        assert.equal(policy.review(facts(7, 0.05, 3.0), draft7), undefined, "big agrees: kept however unlikely");
    });

    it("with threshold 0 overrules every disagreement; with ∞ none", () => {
        assert.equal(new NllRollbackPolicy(0).review(facts(5, 0.5, 1e-6), draft7), 5);
        assert.equal(new NllRollbackPolicy(Number.POSITIVE_INFINITY).review(facts(5, 0.5, 50), draft7), undefined);
    });
});

describe("resolveGenerateOptions", () => {
    const rejects = (options: Parameters<typeof resolveGenerateOptions>[0], pattern: RegExp) =>
        assert.throws(() => resolveGenerateOptions(options), (error: unknown) => error instanceof BildUsageError && pattern.test(error.message));

    it("rejects out-of-range settings with a message naming the setting", () => {
        rejects({fallbackThreshold: -0.1}, /fallback threshold/);
        rejects({fallbackThreshold: Number.NaN}, /fallback threshold/);
        rejects({rollbackThreshold: -1}, /rollback threshold/);
        rejects({maxTokens: 0}, /max tokens must be a positive integer/);
        rejects({maxTokens: 2.5}, /max tokens/);
        rejects({maxLittleTokens: 0}, /max little tokens/);
        rejects({draftTokens: -3}, /draft tokens/);
        rejects({mode: "fast" as never}, /unknown mode "fast"/);
        rejects({stop: [""]}, /stop strings/);
        rejects({runConfidence: 1.5}, /run confidence must be a probability/);
    });

    it("maps speculative mode to exact-match verification of k drafted tokens", () => {
        const resolved = resolveGenerateOptions({mode: "speculative", draftTokens: 6, fallbackThreshold: 0.9, rollbackThreshold: 4});
        assert.ok(resolved.fallbackPolicy instanceof ConfidenceFallbackPolicy);
        assert.equal(resolved.fallbackPolicy.threshold, 0);
        assert.equal(resolved.fallbackPolicy.maxLittleTokens, 6);
        assert.ok(resolved.rollbackPolicy instanceof SpeculativeSamplingPolicy);
    });

    it("rejects contradicting strict settings and bad sampling settings", () => {
        rejects({mode: "big", strict: true}, /strict verification applies to bild and speculative/);
        rejects({strict: true, rollbackThreshold: 3}, /strict verification replaces the rollback threshold/);
        rejects({temperature: -1}, /temperature must be/);
        rejects({temperature: Number.POSITIVE_INFINITY}, /temperature must be/);
        rejects({temperature: 1, topP: 0}, /top-p must be/);
        rejects({temperature: 1, topK: 2.5}, /top-k must be an integer/);
        rejects({temperature: 1, minP: 2}, /min-p must be/);
        rejects({temperature: 1, seed: -1}, /seed must be an integer/);
        rejects({temperature: 1, seed: 2 ** 32}, /seed must be an integer/);
    });

    it("samples only at temperature > 0, with a seed drawn when none is given", () => {
        assert.equal(resolveGenerateOptions({topP: 0.5, seed: 3}).sampling, undefined);
        assert.deepEqual(resolveGenerateOptions({temperature: 0.7, topK: 5, seed: 3}).sampling, {temperature: 0.7, topP: 1, topK: 5, minP: 0, seed: 3, seeded: true});
        const unseeded = resolveGenerateOptions({temperature: 0.7}).sampling;
        assert.ok(Number.isInteger(unseeded?.seed) && unseeded?.seeded === false);
        assert.ok(resolveGenerateOptions({strict: true}).rollbackPolicy instanceof SpeculativeSamplingPolicy);
    });

    it("defaults to lossless verification with the run-confidence rule; a given threshold picks the paper's rule", () => {
        const defaults = resolveGenerateOptions({});
        assert.equal(defaults.mode, "bild");
        assert.ok(defaults.fallbackPolicy instanceof DraftConfidencePolicy);
        assert.equal(defaults.fallbackPolicy.runConfidence, DEFAULT_RUN_CONFIDENCE);
        assert.ok(defaults.rollbackPolicy instanceof SpeculativeSamplingPolicy, "lossless by default");
        const paper = resolveGenerateOptions({fallbackThreshold: 0.6, rollbackThreshold: 2});
        assert.ok(paper.fallbackPolicy instanceof ConfidenceFallbackPolicy && paper.fallbackPolicy.threshold === 0.6);
        assert.ok(paper.rollbackPolicy instanceof NllRollbackPolicy && paper.rollbackPolicy.threshold === 2);
        const notStrict = resolveGenerateOptions({strict: false}).rollbackPolicy;
        assert.ok(notStrict instanceof NllRollbackPolicy && notStrict.threshold === 0, "strict: false alone is the paper's rule at α_RB 0");
        rejects({fallbackThreshold: 0.6, runConfidence: 0.1}, /two drafting rules: give one of them/);
    });

    it("uses the run-confidence rule when runConfidence is set", () => {
        const resolved = resolveGenerateOptions({runConfidence: 0.3, maxLittleTokens: 7});
        assert.ok(resolved.fallbackPolicy instanceof DraftConfidencePolicy);
        assert.equal(resolved.fallbackPolicy.runConfidence, 0.3);
        assert.equal(resolved.fallbackPolicy.maxLittleTokens, 7);
    });

    it("uses custom policies when given", () => {
        const fallbackPolicy = {beforeDraft: () => true, onDraft: () => "dropAndVerify" as const};
        const rollbackPolicy = {review: () => undefined};
        const resolved = resolveGenerateOptions({fallbackPolicy, rollbackPolicy});
        assert.equal(resolved.fallbackPolicy, fallbackPolicy);
        assert.equal(resolved.rollbackPolicy, rollbackPolicy);
    });
});
