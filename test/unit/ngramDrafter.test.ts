import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {NgramMemory} from "../../src/decoding/drafters/NgramMemory.js";
import {NgramDrafter} from "../../src/decoding/drafters/NgramDrafter.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {repetitionPenaltyOf} from "../../src/decoding/sampling/SamplingOptions.js";
import {FakeSequence, fakeCodec, fakeLogits, greedyReference, littleLogits} from "../support/fakeModels.js";

const learnt = (memory: NgramMemory, tokens: readonly Token[]) => {
    for (let end = 2; end < tokens.length; end++)
        memory.add(tokens, end);
    return memory;
};

/** A run as the draft/verify loop reads it: each proposal appended to the tokens first. */
async function proposals(drafter: NgramDrafter, context: readonly Token[]): Promise<Token[]> {
    const tokens = [...context];
    drafter.begin(tokens);
    for await (const choice of drafter.propose(tokens))
        tokens.push(choice.token);
    return tokens.slice(context.length);
}

describe("NgramMemory", () => {
    it("predicts the most frequent continuation, the most recent among equals", () => {
        const memory = learnt(new NgramMemory(), [1, 2, 3, 9, 1, 2, 4, 9, 1, 2, 4, 9, 1, 2, 5]);
        assert.deepEqual(memory.predict([8, 1, 2], 3, 2), {token: 4, order: 2});
        const recent = learnt(new NgramMemory(), [1, 2, 3, 9, 1, 2, 5]);
        assert.equal(recent.predict([1, 2], 2, 2)?.token, 5);
    });

    it("prefers the longest remembered context, and none shorter than asked for", () => {
        // After [1 2] comes 3 twice, but after the 4-token context [7 7 1 2] it was 6.
        const memory = learnt(new NgramMemory(), [5, 5, 1, 2, 3, 0, 5, 5, 1, 2, 3, 0, 7, 7, 1, 2, 6]);
        assert.deepEqual(memory.predict([7, 7, 1, 2], 4, 2), {token: 6, order: 4});
        assert.deepEqual(memory.predict([0, 0, 1, 2], 4, 2), {token: 3, order: 2});
        assert.equal(memory.predict([0, 0, 1, 2], 4, 4), undefined);
    });

    it("stays within its bound however much it is fed, forgetting the oldest contexts first", () => {
        const memory = new NgramMemory({maxContexts: 64});
        const tokens = Array.from({length: 5000}, (_, i) => (i * 7919) % 1009);
        for (let end = 2; end < tokens.length; end++) {
            memory.add(tokens, end);
            assert.ok(memory.size <= 64, `${memory.size} contexts`);
        }
        assert.equal(memory.predict(tokens, 4, 2), undefined, "the first contexts are gone");
        assert.equal(memory.predict(tokens, tokens.length - 1, 2)?.token, tokens.at(-1), "the latest are kept");
    });

    it("ages: counts halve and what falls to zero is forgotten", () => {
        const memory = learnt(new NgramMemory(), [1, 2, 3, 1, 2, 3, 1, 2, 4]);
        memory.age();
        assert.equal(memory.predict([1, 2], 2, 2)?.token, 3, "seen twice: kept");
        memory.age();
        assert.equal(memory.predict([1, 2], 2, 2), undefined);
        assert.throws(() => new NgramMemory({maxContexts: 3}), /maxContexts must be an integer ≥ 16, got 3/);
    });
});

describe("NgramDrafter", () => {
    it("chains its predictions through its own drafts, up to its most tokens", async () => {
        const drafter = new NgramDrafter(new NgramMemory(), {minMatch: 2, maxDraft: 5});
        assert.deepEqual(await proposals(drafter, [1, 2, 3, 4, 5, 6, 9, 1, 2]), [3, 4, 5, 6, 9]);
        assert.deepEqual(await proposals(new NgramDrafter(new NgramMemory(), {minMatch: 2, maxDraft: 5}), [1, 2, 3, 4]), []);
    });

    it("drafts as long as the evidence allows: at most 4× the matched context", async () => {
        const text = Array.from({length: 40}, (_, i) => 100 + i);
        // Only the last two tokens match: 8 tokens at most, though 38 are remembered after them.
        assert.equal((await proposals(new NgramDrafter(new NgramMemory(), {minMatch: 2, maxDraft: 64}), [...text, 1, 100, 101])).length, 8);
        // A 16-token match carries a long run: the rest of the text, then round again as the context did.
        const long = await proposals(new NgramDrafter(new NgramMemory(), {minMatch: 2, maxDraft: 64}), [...text, 1, ...text.slice(0, 16)]);
        assert.deepEqual(long, [...text.slice(16), 1, ...text.slice(0, 39)]);
    });

    it("halves its run limit after a cut run and doubles it after a run kept whole", async () => {
        const memory = new NgramMemory();
        const text = Array.from({length: 80}, (_, i) => 100 + i);
        const drafter = new NgramDrafter(memory, {minMatch: 2, maxDraft: 32});
        const context = [...text, 1, ...text.slice(0, 16)];
        assert.equal((await proposals(drafter, context)).length, 32);
        drafter.accept([116], 32);
        assert.equal((await proposals(drafter, context)).length, 16);
        drafter.accept(text.slice(16, 32), 16);
        assert.equal((await proposals(drafter, context)).length, 32);
    });
});

describe("n-gram drafting on scripted models", () => {
    const bigLogits = (context: readonly Token[]) => fakeLogits(context, 1);
    const littleOf = (context: readonly Token[]) => littleLogits(context, 1, 2, 0.6);
    const prompts = Array.from({length: 30}, (_, i) => "abcdefg".repeat(3).slice(i % 7, i % 7 + 2 + (i % 12)));
    const decoderOn = (ngramMemory?: NgramMemory, little = new FakeSequence(littleOf), big = new FakeSequence(bigLogits)) =>
        new Decoder({big, little, codec: fakeCodec, contextSize: 4096, ngramMemory});
    const reference = (prompt: string, maxTokens: number, options: GenerateOptions = {}) =>
        greedyReference(fakeCodec.encodePrompt(prompt), bigLogits, maxTokens, repetitionPenaltyOf(options));

    it("writes big's greedy output in ngram mode and chained before the little model, penalised or not", async () => {
        const settings: GenerateOptions[] = [
            {mode: "ngram"}, {mode: "ngram", ngramMinMatch: 8, ngramMaxDraft: 3}, {mode: "ngram", repeatPenalty: 1.3},
            {drafters: "ngram+little"}, {drafters: "ngram+little", ngramMinMatch: 2, maxLittleTokens: 3},
            {drafters: "ngram+little", fallbackThreshold: 0.5, rollbackThreshold: 0}, {drafters: "ngram+little", repeatPenalty: 1.3, frequencyPenalty: 0.2},
            {mode: "speculative", drafters: "ngram+little", draftTokens: 5}
        ];
        let drafted = 0;
        for (const options of settings) {
            const decoder = decoderOn();
            for (const prompt of prompts) {
                const result = await decoder.generate(prompt, {...options, maxTokens: 40});
                assert.deepEqual(result.tokens, reference(prompt, 40, options), JSON.stringify(options));
                drafted += result.stats.drafters.ngram?.accepted ?? 0;
            }
        }
        assert.ok(drafted > 0, "the n-gram drafter's tokens were kept");
    });

    it("remembers across generations: a repeated request is drafted from the first, in another decoder sharing the memory", async () => {
        const memory = new NgramMemory();
        const prompt = "gfe";
        const first = await decoderOn(memory).generate(prompt, {drafters: "ngram+little", maxTokens: 48});
        const big = new FakeSequence(bigLogits);
        const second = await decoderOn(memory, undefined, big).generate(prompt, {drafters: "ngram+little", maxTokens: 48});
        assert.deepEqual(second.tokens, first.tokens);
        assert.ok(second.stats.drafters.ngram!.accepted > first.stats.drafters.ngram?.accepted! + 16,
            `n-gram tokens kept: ${second.stats.drafters.ngram!.accepted} vs ${first.stats.drafters.ngram?.accepted ?? 0}`);
        assert.ok(second.stats.bigCalls < first.stats.bigCalls, `${second.stats.bigCalls} big calls vs ${first.stats.bigCalls}`);
    });

    it("a flooded memory stays bounded and never changes the output", async () => {
        const memory = new NgramMemory({maxContexts: 32});
        const decoder = decoderOn(memory);
        for (const prompt of prompts) {
            const result = await decoder.generate(prompt, {drafters: "ngram+little", ngramMinMatch: 2, maxTokens: 40});
            assert.deepEqual(result.tokens, reference(prompt, 40));
            assert.ok(memory.size <= 32, `${memory.size} contexts`);
        }
    });

    it("counts each drafter's runs and tokens apart, and colours its tokens by it", async () => {
        const result = await decoderOn().generate("abcabcab", {drafters: "ngram+little", ngramMinMatch: 2, maxTokens: 60});
        const {ngram, little} = result.stats.drafters;
        assert.ok(ngram != null && little != null && ngram.runs > 0 && little.runs > 0, JSON.stringify(result.stats.drafters));
        assert.equal(result.origins.filter((origin) => origin === "ngram").length, ngram.accepted);
        assert.equal(result.origins.filter((origin) => origin === "little").length, little.accepted);
        assert.equal(ngram.accepted + little.accepted, result.stats.draftAccepted);
    });
});
