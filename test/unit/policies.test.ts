import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {AdaptiveRunLength} from "../../src/decoding/policies/AdaptiveRunLength.js";
import {ConfidenceFallbackPolicy} from "../../src/decoding/policies/ConfidenceFallbackPolicy.js";
import {NllRollbackPolicy} from "../../src/decoding/policies/NllRollbackPolicy.js";
import {DEFAULT_RUN_CONFIDENCE, DraftConfidencePolicy} from "../../src/decoding/policies/DraftConfidencePolicy.js";
import {planDecoding} from "../../src/decoding/DecodingPlan.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {DECODING_SETTINGS, mergeSettings, type DecodingSettings} from "../../src/decoding/settings/decodingSettings.js";
import {SpeculativeSamplingPolicy} from "../../src/decoding/policies/SpeculativeSamplingPolicy.js";
import {BildUsageError} from "../../src/errors.js";

const facts = (token: number, probability: number, scoredNll = Number.NaN) => ({token, topProbability: probability, scoredNll});
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

describe("AdaptiveRunLength", () => {
    it("grows the run limit by two after a run kept whole, falls to one past what was kept after a cut, within 2 and the maximum", () => {
        const policy = new AdaptiveRunLength(new DraftConfidencePolicy(0.01, 10), 10);
        const limit = () => [...Array(11).keys()].find((n) => policy.beforeDraft(n));
        assert.equal(limit(), 10);
        policy.onVerified(3, 8);
        assert.equal(limit(), 4);
        policy.onVerified(4, 4);
        assert.equal(limit(), 6);
        policy.onVerified(0, 6);
        assert.equal(limit(), 2);
        for (let run = 0; run < 5; run++)
            policy.onVerified(2, 2);
        assert.equal(limit(), 10);
    });

    it("leaves the wrapped rule its own decisions and limit", () => {
        const policy = new AdaptiveRunLength(new DraftConfidencePolicy(0.2, 3), 10);
        assert.equal(policy.onDraft(facts(1, 0.1), 0), "keepAndVerify");
        assert.equal(policy.beforeDraft(3), true);
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

describe("planDecoding", () => {
    const rejects = (options: Parameters<typeof planDecoding>[0], pattern: RegExp) =>
        assert.throws(() => planDecoding(options), (error: unknown) => error instanceof BildUsageError && pattern.test(error.message));

    it("rejects out-of-range settings with a message naming the setting and its range", () => {
        rejects({fallbackThreshold: -0.1}, /^fallbackThreshold must be a number ≥ 0, got -0.1$/);
        rejects({fallbackThreshold: Number.NaN}, /fallbackThreshold must be a number ≥ 0/);
        rejects({fallbackThreshold: Number.POSITIVE_INFINITY}, /fallbackThreshold must be a number ≥ 0, got inf/);
        rejects({rollbackThreshold: -1}, /^rollbackThreshold must be a number ≥ 0 or inf, got -1$/);
        rejects({maxTokens: 0}, /^maxTokens must be an integer ≥ 1, got 0$/);
        rejects({maxTokens: 2.5}, /maxTokens must be an integer/);
        rejects({maxLittleTokens: 0}, /maxLittleTokens must be an integer from 1 to 64 or inf/);
        rejects({maxLittleTokens: 65}, /maxLittleTokens must be an integer from 1 to 64 or inf, got 65/);
        rejects({mode: "speculative", draftTokens: 1_000_000}, /draftTokens must be an integer from 1 to 64, got 1000000/);
        rejects({mode: "speculative", draftTokens: -3}, /draftTokens must be an integer from 1 to 64/);
        rejects({mode: "fast" as never}, /^mode must be one of big, little, speculative, bild, lookup, ngram, got fast$/);
        rejects({stop: [""]}, /stop must be non-empty strings/);
        rejects({runConfidence: 1.5}, /runConfidence must be a number from 0 to 1/);
        rejects({temperature: -1}, /temperature must be a number from 0 to 2/);
        rejects({temperature: Number.POSITIVE_INFINITY}, /temperature must be/);
        rejects({temperature: 1, topP: 0}, /topP must be a number > 0 and ≤ 1/);
        rejects({temperature: 1, topK: 2.5}, /topK must be an integer ≥ 0/);
        rejects({temperature: 1, minP: 2}, /minP must be a number from 0 to 1/);
        rejects({temperature: 1, seed: -1}, /seed must be an integer from 0 to 4294967295/);
        rejects({temperature: 1, seed: 2 ** 32}, /seed must be an integer/);
    });

    it("rejects settings the chosen mode would ignore, and two alternatives of one rule", () => {
        rejects({mode: "speculative", fallbackThreshold: 0.9}, /^fallbackThreshold applies to bild mode, not to speculative: drop it or change the mode$/);
        rejects({mode: "speculative", runConfidence: 0.5}, /runConfidence applies to bild mode, not to speculative/);
        rejects({mode: "bild", draftTokens: 4}, /draftTokens applies to speculative and lookup mode, not to bild/);
        rejects({mode: "big", strict: true}, /strict applies to bild mode, not to big/);
        // A drafter's sizes where the chain has no such drafter would be ignored too.
        rejects({mode: "bild", lookupNgram: 2}, /^lookupNgram sizes the lookup drafter, which drafters ngram\+little does not chain: drop it or set drafters to one with lookup$/);
        rejects({mode: "speculative", drafters: "lookup+little", ngramMaxDraft: 8}, /ngramMaxDraft sizes the ngram drafter, which drafters lookup\+little does not chain/);
        rejects({mode: "lookup", ngramMinMatch: 8}, /ngramMinMatch applies to ngram and bild and speculative mode, not to lookup/);
        assert.deepEqual(planDecoding({drafters: "ngram+little", ngramMaxDraft: 8}).drafting.drafters, ["ngram", "little"]);
        assert.deepEqual(planDecoding({mode: "ngram"}).drafting.drafters, ["ngram"]);
        rejects({mode: "little", maxLittleTokens: 3}, /maxLittleTokens applies to bild mode, not to little/);
        rejects({mode: "big", rollbackPolicy: {review: () => undefined}}, /rollbackPolicy applies to bild mode, not to big/);
        rejects({strict: true, rollbackThreshold: 3}, /^strict and rollbackThreshold are two verification rules: give one of them, not both$/);
        rejects({fallbackThreshold: 0.6, runConfidence: 0.1}, /runConfidence and fallbackThreshold are two drafting rules: give one of them, not both/);
        rejects({fallbackThreshold: 0.6, fallbackPolicy: {beforeDraft: () => true, onDraft: () => "dropAndVerify" as const}},
            /fallbackPolicy and fallbackThreshold are two drafting rules/);
        assert.ok(planDecoding({strict: false, rollbackThreshold: 2}).rules?.rollback instanceof NllRollbackPolicy, "strict: false chooses no rule");
    });

    it("maps speculative mode to exact-match verification of k drafted tokens, and one-model modes to no rules", () => {
        const {rules} = planDecoding({mode: "speculative", draftTokens: 6});
        assert.ok(rules?.fallback instanceof ConfidenceFallbackPolicy);
        assert.equal(rules.fallback.threshold, 0);
        assert.equal(rules.fallback.maxLittleTokens, 6);
        assert.ok(rules.rollback instanceof SpeculativeSamplingPolicy);
        assert.equal(planDecoding({mode: "big", maxTokens: 3}).rules, undefined);
    });

    it("wraps the built-in drafting rule in an adaptive run length when asked, in bild and speculative mode only", () => {
        const bild = planDecoding({adaptiveRunLength: true, maxLittleTokens: 6}).rules!.fallback!;
        assert.ok(bild instanceof AdaptiveRunLength);
        assert.deepEqual([5, 6].map((n) => bild.beforeDraft(n)), [false, true]);
        bild.onVerified!(1, 6);
        assert.deepEqual([1, 2].map((n) => bild.beforeDraft(n)), [false, true], "one past the kept part");
        assert.ok(planDecoding({mode: "speculative", draftTokens: 4, adaptiveRunLength: true}).rules!.fallback instanceof AdaptiveRunLength);
        assert.ok(planDecoding({adaptiveRunLength: false}).rules!.fallback instanceof DraftConfidencePolicy);
        rejects({mode: "ngram", adaptiveRunLength: true}, /adaptiveRunLength applies to bild and speculative mode, not to ngram/);
    });

    it("takes the rpc-servers' run confidence and run limit where the big model is on them and nothing else sets them", () => {
        const runLimit = (options: GenerateOptions, placement: "local" | "rpc") =>
            (planDecoding(options, placement).rules!.fallback as DraftConfidencePolicy | ConfidenceFallbackPolicy).maxLittleTokens;
        assert.equal(runLimit({}, "local"), DECODING_SETTINGS.maxLittleTokens.default);
        assert.equal(runLimit({}, "rpc"), DECODING_SETTINGS.maxLittleTokens.rpcDefault);
        const runConfidence = (options: GenerateOptions, placement: "local" | "rpc") => (planDecoding(options, placement).rules!.fallback as DraftConfidencePolicy).runConfidence;
        assert.equal(runConfidence({}, "local"), DECODING_SETTINGS.runConfidence.default);
        assert.equal(runConfidence({}, "rpc"), DECODING_SETTINGS.runConfidence.rpcDefault);
        assert.equal(runConfidence({runConfidence: 0.3}, "rpc"), 0.3, "a given run confidence wins");
        // Another alternative of the drafting rule given: the rpc run confidence is not added beside it.
        assert.ok(planDecoding({fallbackThreshold: 0.4}, "rpc").rules!.fallback instanceof ConfidenceFallbackPolicy);
        assert.notEqual(DECODING_SETTINGS.maxLittleTokens.rpcDefault, DECODING_SETTINGS.maxLittleTokens.default);
        assert.equal(runLimit({fallbackThreshold: 0.4}, "rpc"), DECODING_SETTINGS.maxLittleTokens.rpcDefault, "the paper's rule too");
        assert.equal(runLimit({maxLittleTokens: 7}, "rpc"), 7, "a given limit wins");
        assert.equal(planDecoding({}, "rpc").drafting.lookupTokens, DECODING_SETTINGS.maxLittleTokens.rpcDefault, "a model-free drafter's run is as long");
        const adaptive = planDecoding({adaptiveRunLength: true}, "rpc").rules!.fallback as AdaptiveRunLength;
        assert.deepEqual([19, 20].map((n) => adaptive.beforeDraft(n)), [false, true], "the adaptive limit starts at it");
        // Modes without the setting, and a custom drafting rule, are left as they are.
        assert.equal((planDecoding({mode: "speculative"}, "rpc").rules!.fallback as ConfidenceFallbackPolicy).maxLittleTokens, DECODING_SETTINGS.draftTokens.default);
        const custom = new ConfidenceFallbackPolicy(0.5, 3);
        assert.equal(planDecoding({fallbackPolicy: custom}, "rpc").rules!.fallback, custom);
        assert.equal(planDecoding({mode: "big"}, "rpc").rules, undefined);
    });

    it("samples only at temperature > 0, with a seed drawn when none is given", () => {
        assert.equal(planDecoding({topP: 1, minP: 0, topK: 40}).sampling, undefined, "neutral values are no sampling");
        // Knobs that greedy decoding would ignore are errors, not silently dropped.
        for (const knob of [{topP: 0.5}, {seed: 3}, {topK: 5}, {minP: 0.1}])
            assert.throws(() => planDecoding(knob), new RegExp(`${Object.keys(knob)[0]} shapes sampling, and at temperature 0 decoding is greedy`));
        assert.throws(() => planDecoding({maxLittleTokens: 4, fallbackPolicy: new ConfidenceFallbackPolicy(0.5, 4)}),
            /maxLittleTokens shapes the built-in drafting rules' runs; a custom fallbackPolicy decides its own run length: drop maxLittleTokens/);
        assert.throws(() => planDecoding({adaptiveRunLength: true, fallbackPolicy: new ConfidenceFallbackPolicy(0.5, 4)}),
            /adaptiveRunLength shapes the built-in drafting rules' runs; a custom fallbackPolicy decides its own run length: drop adaptiveRunLength/);
        assert.deepEqual(planDecoding({temperature: 0.7, topK: 5, seed: 3}).sampling, {temperature: 0.7, topP: 1, topK: 5, minP: 0, seed: 3, seeded: true});
        const unseeded = planDecoding({temperature: 0.7}).sampling;
        assert.ok(Number.isInteger(unseeded?.seed) && unseeded?.seeded === false);
        assert.ok(planDecoding({strict: true}).rules?.rollback instanceof SpeculativeSamplingPolicy);
    });

    it("defaults to lossless verification with the run-confidence rule; a given threshold picks the paper's rule", () => {
        const defaults = planDecoding();
        assert.equal(defaults.mode, "bild");
        assert.equal(defaults.maxTokens, DECODING_SETTINGS.maxTokens.default);
        assert.ok(defaults.rules?.fallback instanceof DraftConfidencePolicy);
        assert.equal(defaults.rules.fallback.runConfidence, DEFAULT_RUN_CONFIDENCE);
        assert.ok(defaults.rules.rollback instanceof SpeculativeSamplingPolicy, "lossless by default");
        const paper = planDecoding({fallbackThreshold: 0.6, rollbackThreshold: 2}).rules;
        assert.ok(paper?.fallback instanceof ConfidenceFallbackPolicy && paper.fallback.threshold === 0.6);
        assert.ok(paper.rollback instanceof NllRollbackPolicy && paper.rollback.threshold === 2);
        const notStrict = planDecoding({strict: false}).rules?.rollback;
        assert.ok(notStrict instanceof NllRollbackPolicy && notStrict.threshold === 0, "strict: false alone is the paper's rule at α_RB 0");
    });

    it("uses the run-confidence rule when runConfidence is set", () => {
        const fallback = planDecoding({runConfidence: 0.3, maxLittleTokens: 7}).rules?.fallback;
        assert.ok(fallback instanceof DraftConfidencePolicy);
        assert.equal(fallback.runConfidence, 0.3);
        assert.equal(fallback.maxLittleTokens, 7);
    });

    it("uses custom policies when given", () => {
        const fallbackPolicy = {beforeDraft: () => true, onDraft: () => "dropAndVerify" as const};
        const rollbackPolicy = {review: () => undefined};
        const {rules} = planDecoding({fallbackPolicy, rollbackPolicy});
        assert.equal(rules?.fallback, fallbackPolicy);
        assert.equal(rules?.rollback, rollbackPolicy);
    });
});

describe("mergeSettings (a server's defaults under a request's settings)", () => {
    it("lets a request's rule replace the default's alternative, and drops defaults its mode would ignore", () => {
        const defaults: DecodingSettings = {runConfidence: 0.1, strict: true, maxTokens: 64, maxLittleTokens: 5};
        assert.deepEqual(mergeSettings(defaults, {fallbackThreshold: 0.6, rollbackThreshold: 2}),
            {maxTokens: 64, fallbackThreshold: 0.6, maxLittleTokens: 5, rollbackThreshold: 2});
        assert.deepEqual(mergeSettings(defaults, {mode: "speculative", draftTokens: 2}), {mode: "speculative", maxTokens: 64, draftTokens: 2});
        assert.deepEqual(mergeSettings(defaults, {}), defaults);
        planDecoding(mergeSettings(defaults, {mode: "big"}));
    });

    it("drops the defaults' drafter sizes where the request's chain has no such drafter", () => {
        const defaults: DecodingSettings = {drafters: "ngram+little", ngramMaxDraft: 16};
        assert.deepEqual(mergeSettings(defaults, {drafters: "little"}), {drafters: "little"});
        assert.deepEqual(mergeSettings(defaults, {mode: "ngram"}), {mode: "ngram", ngramMaxDraft: 16});
        planDecoding(mergeSettings(defaults, {drafters: "lookup+little", lookupNgram: 2}));
    });
});
