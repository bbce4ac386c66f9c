import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import type {Token as LlamaToken} from "node-llama-cpp";
import {ModelPair} from "../../src/engine/ModelPair.js";
import {defaultBigThreads, DEFAULT_THREADS} from "../../src/engine/EngineSettings.js";
import {getEngineLlama} from "../../src/engine/getEngineLlama.js";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {LlamaModelSequence} from "../../src/engine/LlamaModelSequence.js";
import type {NextTokenFacts} from "../../src/engine/ModelSequence.js";
import {BUNDLED_PAIR, readFixturePrompts} from "../support/fixtures.js";

// Batched and single-token evaluation differ by ≈1e-5 in probability (node-llama-cpp notes: up to
// ≈6e-4 after a different batch shape); anything larger is a cache bug.
const PROBABILITY_TOLERANCE = 2e-3;
const NLL_TOLERANCE = 1e-2;

function assertSameFacts(actual: NextTokenFacts, expected: NextTokenFacts, label: string): void {
    assert.equal(actual.token, expected.token, `${label}: argmax`);
    assert.ok(Math.abs(actual.topProbability - expected.topProbability) < PROBABILITY_TOLERANCE,
        `${label}: probability ${actual.topProbability} vs ${expected.topProbability}`);
    assert.ok(Math.abs(actual.scoredNll - expected.scoredNll) < NLL_TOLERANCE,
        `${label}: −log p ${actual.scoredNll} vs ${expected.scoredNll}`);
}

describe("engine adapter on the bundled Python pair (real models)", () => {
    let pair: ModelPair;
    let fresh: LlamaModelSequence;
    before(async () => {
        pair = await ModelPair.load(BUNDLED_PAIR, {sequences: 3});
        fresh = pair.big.createSequence();
    });
    after(async () => {
        await fresh[Symbol.asyncDispose]();
        await pair[Symbol.asyncDispose]();
    });

    async function freshFacts(tokens: readonly number[], scoreToken: number): Promise<NextTokenFacts> {
        await fresh.truncate(0);
        const [facts] = await fresh.evaluate(tokens, 1, [scoreToken]);
        return facts!;
    }

    it("reads argmax, its probability and −log p of a token as the full distribution gives them", async () => {
        const prompt = pair.tokenizer.encodePrompt(readFixturePrompts(1)[0]!.prompt);
        const scoreToken = 300;
        const facts = await freshFacts(prompt, scoreToken);
        // Flash attention as the pair has it: it changes probabilities in the fourth digit.
        const context = await pair.big.model.createContext({contextSize: 512, threads: 1, flashAttention: pair.big.flashAttention.enabled});
        try {
            const results = await context.getSequence().controlledEvaluate(prompt.map((token, i) => i === prompt.length - 1
                ? [token as LlamaToken, {generateNext: {probabilities: true}}]
                : token as LlamaToken));
            const probabilities = results.at(-1)!.next.probabilities!;
            const [topToken, topProbability] = probabilities.entries().next().value!;
            assert.equal(facts.token, topToken);
            assert.ok(Math.abs(facts.topProbability - topProbability) < 1e-4);
            assert.ok(Math.abs(facts.scoredNll + Math.log(probabilities.get(scoreToken as LlamaToken)!)) < 1e-3);
        } finally {
            await context.dispose();
        }
    });

    it("reads raw logits: the whole vocabulary matches node-llama-cpp's distribution, top-k its k largest", async () => {
        const prompt = pair.tokenizer.encodePrompt(readFixturePrompts(2)[1]!.prompt);
        await fresh.truncate(0);
        const [all] = await fresh.evaluateLogits(prompt, 1, 0);
        // The same batch again, so that the logits are bit-identical.
        await fresh.truncate(0);
        const [top] = await fresh.evaluateLogits(prompt, 1, 40);
        const logits = new Map<number, number>();
        for (let i = 0; i < all!.length; i += 2)
            logits.set(all![i]!, all![i + 1]!);
        assert.equal(logits.size, pair.tokenizer.vocabularySize);
        const byLogit = [...logits].sort((a, b) => b[1] - a[1]);
        assert.equal(top!.length, 80);
        const topTokens = new Set(top!.filter((_, i) => i % 2 === 0));
        assert.deepEqual(topTokens, new Set(byLogit.slice(0, 40).map(([token]) => token)));
        for (let i = 0; i < top!.length; i += 2)
            assert.equal(top![i + 1], logits.get(top![i]!), "top-k logits are the raw ones");
        const greedy = await freshFacts(prompt, byLogit[1]![0]);
        const total = byLogit.reduce((sum, [, logit]) => sum + Math.exp(logit - byLogit[0]![1]), 0);
        assert.equal(greedy.token, byLogit[0]![0]);
        assert.ok(Math.abs(greedy.topProbability - 1 / total) < 1e-4);
    });

    it("serves any number of different top-k values (a few native samplers kept, the oldest freed)", async () => {
        const prompt = pair.tokenizer.encodePrompt("total = sum(");
        for (let topK = 1; topK <= 12; topK++) {
            await fresh.truncate(0);
            const [logits] = await fresh.evaluateLogits(prompt, 1, topK);
            assert.equal(logits!.length, 2 * topK);
        }
    });

    it("after truncating and feeding other tokens, the next-token facts equal a fresh context's", async () => {
        const sequence = pair.big.createSequence();
        try {
            const prompt = pair.tokenizer.encodePrompt("def add(a, b):\n    return");
            const drafted = pair.tokenizer.encodePrompt(" a - b\n\n").slice(1);
            const replacement = pair.tokenizer.encodePrompt(" a + b").slice(1);
            await sequence.evaluate([...prompt, ...drafted], drafted.length + 1);
            await sequence.truncate(prompt.length);
            assert.equal(sequence.tokens.length, prompt.length);
            const [afterRollback] = await sequence.evaluate(replacement, 1, [drafted[0]!]);
            assertSameFacts(afterRollback!, await freshFacts([...prompt, ...replacement], drafted[0]!), "rolled back");
        } finally {
            await sequence[Symbol.asyncDispose]();
        }
    });

    it("after a BiLD generation with rollbacks, both models' caches give a fresh context's distribution", async () => {
        const big = pair.big.createSequence();
        const little = pair.little.createSequence();
        const decoder = new Decoder({big, little, codec: pair.tokenizer, contextSize: pair.contextSize});
        const freshLittle = pair.little.createSequence();
        try {
            let rollbacks = 0;
            for (const {prompt} of readFixturePrompts(4)) {
                const result = await decoder.generate(prompt, {mode: "bild", fallbackThreshold: 0.2, rollbackThreshold: 1, maxTokens: 48});
                rollbacks += result.stats.rollbacks;
                const tokens = [...pair.tokenizer.encodePrompt(prompt), ...result.tokens];
                assert.deepEqual(big.tokens, tokens.slice(0, big.tokens.length));
                assert.deepEqual(little.tokens, tokens.slice(0, little.tokens.length));
                // A generation that ends without a rollback leaves every token in the big cache.
                await big.truncate(Math.min(big.tokens.length, tokens.length - 1));
                const [bigNext] = await big.evaluate(tokens.slice(big.tokens.length), 1, [tokens[1]!]);
                assertSameFacts(bigNext!, await freshFacts(tokens, tokens[1]!), "big after generation");
                await little.truncate(Math.min(little.tokens.length, tokens.length - 1));
                const [littleNext] = await little.evaluate(tokens.slice(little.tokens.length), 1, [tokens[1]!]);
                await freshLittle.truncate(0);
                const [littleFresh] = await freshLittle.evaluate(tokens, 1, [tokens[1]!]);
                assertSameFacts(littleNext!, littleFresh!, "little after generation");
            }
            assert.ok(rollbacks > 0, "the setting exercised rollback");
        } finally {
            await decoder[Symbol.asyncDispose]();
            await freshLittle[Symbol.asyncDispose]();
        }
    });

    it("gives each model its own threads: per-model settings first, then the shared ones, then each model's default", async () => {
        assert.deepEqual([pair.big.threads, pair.little.threads], [defaultBigThreads((await getEngineLlama()).cpuMathCores), DEFAULT_THREADS]);
        // The context holds each model's trained length (the bundled pair's is short enough for any machine).
        assert.deepEqual([pair.big.contextSize, pair.little.contextSize], [pair.big.model.trainContextSize, pair.little.model.trainContextSize]);
        for (const [settings, expected] of [[{threads: 2}, [2, 2]], [{threads: 2, big: {threads: undefined}, little: {threads: undefined}}, [2, 2]], [{threads: 2, little: {threads: 1}}, [2, 1]], [{big: {threads: 1}, little: {threads: 2}}, [1, 2]]] as const) {
            const other = await ModelPair.load(BUNDLED_PAIR, settings);
            try {
                assert.deepEqual([other.big.threads, other.little.threads], expected, JSON.stringify(settings));
            } finally {
                await other[Symbol.asyncDispose]();
            }
        }
    });

    it("reads special tokens written in prompt text as llama.cpp does, or as plain text when asked", () => {
        const eos = pair.big.model.tokens.eos!;
        const text = "x = 1<|endoftext|>y";
        const parsed = pair.tokenizer.encodePrompt(text);
        assert.ok(parsed.includes(eos));
        const plain = pair.tokenizer.encodePrompt(text, false);
        assert.ok(!plain.includes(eos) && plain.length > parsed.length);
        assert.equal(pair.tokenizer.decode(plain), text);
    });

    it("BiLD stats add up on real models", async () => {
        const decoder = Decoder.fromPair(pair);
        try {
            for (const {prompt} of readFixturePrompts(6)) {
                const {stats, tokens, origins} = await decoder.generate(prompt, {mode: "bild", fallbackThreshold: 0.3, rollbackThreshold: 1.5, maxTokens: 64});
                assert.equal(stats.draftAccepted + stats.bigTokens, tokens.length);
                assert.equal(stats.draftProposed - stats.draftAccepted, stats.discarded);
                assert.equal(origins.filter((origin) => origin === "correction").length, stats.rollbacks);
                assert.ok(stats.bigCalls >= stats.fallbacks);
            }
        } finally {
            await decoder[Symbol.asyncDispose]();
        }
    });
});
