import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import type {GenerationResult, TokenOrigin} from "../../src/decoding/GenerationResult.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {BildUsageError} from "../../src/errors.js";
import {ConfidenceFallbackPolicy} from "../../src/decoding/policies/ConfidenceFallbackPolicy.js";
import type {NextTokenFacts} from "../../src/engine/ModelSequence.js";
import {FAKE_EOS, FakeSequence, fakeCodec, fakeLogits, greedyReference, littleLogits} from "../support/fakeModels.js";

const BIG_SEED = 1;
const bigLogits = (context: readonly Token[]) => fakeLogits(context, BIG_SEED);
const littleLogitsOf = (noise: number) => (context: readonly Token[]) => littleLogits(context, BIG_SEED, 2, noise);

function makeDecoder(noise = 0.6) {
    const big = new FakeSequence(bigLogits);
    const little = new FakeSequence(littleLogitsOf(noise));
    return {decoder: new Decoder({big, little, codec: fakeCodec, contextSize: 4096}), big, little};
}

// 30 prompts of 1–8 letters, fixed.
const PROMPTS = Array.from({length: 30}, (_, i) => "abcdefg".repeat(2).slice(i % 7, i % 7 + 1 + (i % 8)));

function assertStatsAddUp(result: GenerationResult): void {
    const {stats, origins} = result;
    assert.equal(stats.generatedTokens, result.tokens.length);
    assert.equal(stats.draftAccepted + stats.bigTokens, result.tokens.length, "accepted + big = output length");
    const drafted = (origin: TokenOrigin) => origin !== "big" && origin !== "correction";
    assert.equal(stats.draftAccepted, origins.filter(drafted).length);
    assert.equal(stats.bigTokens, origins.filter((origin) => !drafted(origin)).length);
    assert.equal(stats.draftProposed, stats.draftAccepted + stats.discarded, "proposed = accepted + discarded");
    // Each drafter's counters are its own tokens, and they add up to the totals.
    for (const [name, counts] of Object.entries(stats.drafters))
        assert.equal(counts.accepted, origins.filter((origin) => origin === name).length, name);
    assert.equal(Object.values(stats.drafters).reduce((total, counts) => total + counts.proposed, 0), stats.draftProposed);
    assert.equal(origins.filter((origin) => origin === "correction").length, stats.rollbacks);
    assert.ok(stats.timeBigMs + stats.timeLittleMs <= stats.totalMs + 1e-6);
}

async function allOutputs(options: GenerateOptions, maxTokens = 40, noise?: number): Promise<GenerationResult[]> {
    const {decoder} = makeDecoder(noise);
    const results: GenerationResult[] = [];
    for (const prompt of PROMPTS)
        results.push(await decoder.generate(prompt, {...options, maxTokens}));
    return results;
}

describe("draft/verify decoding on scripted models", () => {
    it("bild with rollbackThreshold 0 equals big greedy decoding, whatever the fallback settings", async () => {
        for (const fallbackThreshold of [0, 0.3, 0.5, 0.8])
            for (const maxLittleTokens of [1, 3, 10, Number.POSITIVE_INFINITY]) {
                const results = await allOutputs({mode: "bild", rollbackThreshold: 0, fallbackThreshold, maxLittleTokens});
                results.forEach((result, i) => {
                    assert.deepEqual(result.tokens, greedyReference(fakeCodec.encodePrompt(PROMPTS[i]!), bigLogits, 40),
                        `prompt ${i}, fallback ${fallbackThreshold}, max little ${maxLittleTokens}`);
                    assertStatsAddUp(result);
                });
            }
    });

    it("bild with the run-confidence rule (draft tokens kept at fallback) and rollbackThreshold 0 equals big", async () => {
        for (const runConfidence of [0, 0.05, 0.3, 0.9, 1])
            for (const maxLittleTokens of [2, 16]) {
                const results = await allOutputs({mode: "bild", rollbackThreshold: 0, runConfidence, maxLittleTokens}, 33);
                results.forEach((result, i) => {
                    assert.deepEqual(result.tokens, greedyReference(fakeCodec.encodePrompt(PROMPTS[i]!), bigLogits, 33),
                        `prompt ${i}, run confidence ${runConfidence}, max little ${maxLittleTokens}`);
                    assertStatsAddUp(result);
                });
            }
    });

    it("speculative decoding equals big greedy decoding for every draft length", async () => {
        for (const draftTokens of [1, 2, 5, 9]) {
            const results = await allOutputs({mode: "speculative", draftTokens});
            results.forEach((result, i) => {
                assert.deepEqual(result.tokens, greedyReference(fakeCodec.encodePrompt(PROMPTS[i]!), bigLogits, 40));
                assertStatsAddUp(result);
            });
        }
    });

    it("lookup drafting equals big greedy decoding for every n-gram and draft length, and its drafts are used", async () => {
        let accepted = 0;
        for (const lookupNgram of [1, 2, 3])
            for (const draftTokens of [1, 4, 9]) {
                const results = await allOutputs({mode: "lookup", lookupNgram, draftTokens}, 60);
                results.forEach((result, i) => {
                    assert.deepEqual(result.tokens, greedyReference(fakeCodec.encodePrompt(PROMPTS[i]!), bigLogits, 60));
                    assertStatsAddUp(result);
                    accepted += result.stats.draftAccepted;
                });
            }
        assert.ok(accepted > 0, "no lookup draft was ever kept: the test does not exercise them");
    });

    it("the big and little modes are plain greedy decoding of their model", async () => {
        const big = await allOutputs({mode: "big"});
        const little = await allOutputs({mode: "little"});
        PROMPTS.forEach((prompt, i) => {
            assert.deepEqual(big[i]!.tokens, greedyReference(fakeCodec.encodePrompt(prompt), bigLogits, 40));
            assert.deepEqual(little[i]!.tokens, greedyReference(fakeCodec.encodePrompt(prompt), littleLogitsOf(0.6), 40));
            assert.ok(big[i]!.origins.every((origin) => origin === "big"));
            assert.ok(little[i]!.origins.every((origin) => origin === "little"));
        });
    });

    it("a fallback threshold above 1 never lets a little token through: output equals big", async () => {
        // The little model alone drafts: the default chain's n-gram drafts are not the little model's.
        const results = await allOutputs({mode: "bild", drafters: "little", fallbackThreshold: 1.01, rollbackThreshold: 5});
        results.forEach((result, i) => {
            assert.deepEqual(result.tokens, greedyReference(fakeCodec.encodePrompt(PROMPTS[i]!), bigLogits, 40));
            assert.equal(result.stats.draftProposed, 0);
        });
    });

    it("fallback 0, no token limit, rollback ∞ equals little, with one final verification pass", async () => {
        const results = await allOutputs({
            mode: "bild", drafters: "little", fallbackThreshold: 0, maxLittleTokens: Number.POSITIVE_INFINITY,
            rollbackThreshold: Number.POSITIVE_INFINITY
        });
        results.forEach((result, i) => {
            assert.deepEqual(result.tokens, greedyReference(fakeCodec.encodePrompt(PROMPTS[i]!), littleLogitsOf(0.6), 40));
            assert.equal(result.stats.bigCalls, 1);
            assert.equal(result.stats.rollbacks, 0);
        });
    });

    it("a lossy rollback threshold rolls back, keeps the stats consistent and both caches a prefix of the tokens", async () => {
        const {decoder, big, little} = makeDecoder(1.2);
        let rollbacks = 0;
        let differsFromBig = 0;
        for (const prompt of PROMPTS) {
            const result = await decoder.generate(prompt, {mode: "bild", fallbackThreshold: 0.2, rollbackThreshold: 1, maxTokens: 40});
            assertStatsAddUp(result);
            rollbacks += result.stats.rollbacks;
            const all = [...fakeCodec.encodePrompt(prompt), ...result.tokens];
            assert.deepEqual(big.tokens, all.slice(0, big.tokens.length));
            assert.deepEqual(little.tokens, all.slice(0, little.tokens.length));
            if (result.tokens.join() !== greedyReference(fakeCodec.encodePrompt(prompt), bigLogits, 40).join())
                differsFromBig++;
        }
        assert.ok(rollbacks > 0, "the scripted models disagree enough to roll back");
        assert.ok(differsFromBig > 0, "α_RB = 1 is lossy on these models");
    });

    it("tells the drafting policy after every big pass how many drafts were kept (the feedback seam)", async () => {
        const {decoder} = makeDecoder();
        const heard: [number, number][] = [];
        const policy = new ConfidenceFallbackPolicy(0.3, 6);
        const listening = {
            beforeDraft: (n: number) => policy.beforeDraft(n),
            onDraft: (draft: NextTokenFacts) => policy.onDraft(draft),
            onVerified: (accepted: number, drafted: number) => heard.push([accepted, drafted])
        };
        const result = await decoder.generate("abc", {drafters: "little", fallbackPolicy: listening, rollbackThreshold: 0, maxTokens: 40});
        assert.equal(heard.length, result.stats.drafters.little!.runs, "one report per run the little model drafted");
        assert.equal(heard.reduce((sum, [accepted]) => sum + accepted, 0), result.stats.draftAccepted);
        assert.equal(heard.reduce((sum, [accepted, drafted]) => sum + drafted - accepted, 0), result.stats.discarded);
        assert.ok(heard.some(([accepted, drafted]) => accepted < drafted), "rollbacks were reported too");
    });

    it("a time limit ends the generation early with finish reason time, every token verified", async () => {
        const {decoder} = makeDecoder();
        const expected = greedyReference(fakeCodec.encodePrompt("abc"), bigLogits, 40);
        for (const mode of ["big", "bild", "speculative"] as const) {
            const result = await decoder.generate("abc", {mode, maxTokens: 40, timeLimit: 1e-9});
            assert.equal(result.finishReason, "time", mode);
            assert.ok(result.tokens.length > 0 && result.tokens.length < 40, `${mode}: ${result.tokens.length} tokens`);
            assert.deepEqual(result.tokens, expected.slice(0, result.tokens.length), `${mode}: a prefix of big's greedy output`);
        }
        assert.equal((await decoder.generate("abc", {maxTokens: 40, timeLimit: Number.POSITIVE_INFINITY})).finishReason, "length");
    });

    it("every token is verified before the generation returns: a draft cut short by max tokens is checked", async () => {
        const {decoder} = makeDecoder();
        for (const prompt of PROMPTS) {
            const result = await decoder.generate(prompt, {
                mode: "bild", fallbackThreshold: 0, maxLittleTokens: Number.POSITIVE_INFINITY, rollbackThreshold: 0, maxTokens: 25
            });
            assert.deepEqual(result.tokens, greedyReference(fakeCodec.encodePrompt(prompt), bigLogits, 25));
        }
    });
});

describe("generation API on scripted models", () => {
    it("stops at EOS with finish reason eos", async () => {
        const eosLogits = (context: readonly Token[]) => {
            const logits = bigLogits(context);
            if (context.length >= 6)
                logits[FAKE_EOS] = 100;
            return logits;
        };
        const decoder = new Decoder({
            big: new FakeSequence(eosLogits), little: new FakeSequence(littleLogitsOf(0.6)), codec: fakeCodec, contextSize: 100
        });
        const result = await decoder.generate("abc", {mode: "bild", rollbackThreshold: 0, maxTokens: 20});
        assert.equal(result.finishReason, "eos");
        assert.equal(result.tokens.length, 4);
        assert.equal(result.tokens.at(-1), FAKE_EOS);
        assert.equal(result.text, fakeCodec.decode(result.tokens));
    });

    it("cuts the text before the first stop string and stops there", async () => {
        const {decoder} = makeDecoder();
        const full = await decoder.generate("abc", {mode: "big", maxTokens: 40});
        const stop = full.text.slice(10, 12);
        const cut = full.text.indexOf(stop);
        for (const mode of ["big", "bild", "speculative"] as const) {
            const result = await decoder.generate("abc", {mode, maxTokens: 40, stop: [stop, "zz"]});
            assert.equal(result.finishReason, "stop");
            assert.equal(result.text, full.text.slice(0, cut), mode);
            assert.ok(result.tokens.length <= cut + stop.length, "no token generated past the stop string");
        }
    });

    it("streams only final text; the chunks add up to the result and never show a stop string's start", async () => {
        const {decoder} = makeDecoder();
        const full = await decoder.generate("bad", {mode: "big", maxTokens: 40});
        const stop = full.text.slice(20, 23);
        for (const options of [{mode: "bild", rollbackThreshold: 0}, {mode: "bild", rollbackThreshold: 1}, {mode: "speculative"}] as const) {
            const expected = await decoder.generate("bad", {...options, maxTokens: 40, stop: [stop]});
            const stream = decoder.stream("bad", {...options, maxTokens: 40, stop: [stop]});
            const chunks: string[] = [];
            for await (const chunk of stream) {
                chunks.push(chunk);
                assert.ok(expected.text.startsWith(chunks.join("")), "a streamed chunk was later taken back");
            }
            assert.equal(chunks.join(""), expected.text);
            assert.equal((await stream.result).text, expected.text);
        }
    });

    it("aborts between steps and leaves the decoder usable", async () => {
        const {decoder} = makeDecoder();
        const expected = await decoder.generate("abc", {mode: "bild", maxTokens: 30});
        const controller = new AbortController();
        const stream = decoder.stream("abc", {mode: "bild", maxTokens: 30, signal: controller.signal});
        await assert.rejects(async () => {
            for await (const _ of stream)
                controller.abort(new Error("stop now"));
        }, /stop now/);
        await assert.rejects(stream.result, /stop now/);
        assert.deepEqual((await decoder.generate("abc", {mode: "bild", maxTokens: 30})).tokens, expected.tokens);
        await assert.rejects(decoder.generate("abc", {signal: AbortSignal.abort(new Error("already"))}), /already/);
    });

    it("runs one generation at a time per decoder", async () => {
        const {decoder} = makeDecoder();
        const first = decoder.generate("abc", {maxTokens: 20});
        await assert.rejects(decoder.generate("abc", {maxTokens: 20}), /already generating/);
        await first;
    });

    it("rejects prompts that do not fit the context, empty prompts and bad token ids", async () => {
        const decoder = new Decoder({
            big: new FakeSequence(bigLogits), little: new FakeSequence(littleLogitsOf(0.6)), codec: fakeCodec, contextSize: 10
        });
        await assert.rejects(decoder.generate([0, 1, 2, 3, 4, 5], {maxTokens: 5}), (error: unknown) =>
            error instanceof BildUsageError && /prompt \(6 tokens\) plus max tokens \(5\) exceed the context size \(10\)/.test(error.message));
        // Text is refused on a lower bound of its tokens before it is tokenized.
        await assert.rejects(decoder.generate("abcdef", {maxTokens: 5}), /prompt \(at least 6 tokens\) plus max tokens \(5\)/);
        await assert.rejects(decoder.generate("", {maxTokens: 5}), BildUsageError);
        await assert.rejects(decoder.generate([1, 99], {maxTokens: 5}), /prompt token id 99 is not one the models share: ids must be integers from 0 to 7/);
        assert.equal((await decoder.generate("abcde", {maxTokens: 5})).tokens.length, 5);
    });

    it("frees both sequences on dispose", async () => {
        const {decoder, big, little} = makeDecoder();
        await decoder[Symbol.asyncDispose]();
        assert.ok(big.disposed && little.disposed);
    });
});
