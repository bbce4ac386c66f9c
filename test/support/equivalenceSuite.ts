import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {ModelPair} from "../../src/engine/ModelPair.js";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import type {GenerationResult} from "../../src/decoding/GenerationResult.js";
import type {EvalPrompt} from "./fixtures.js";
import {assertSameOutputTieAware, type Tie} from "./tieAware.js";

const MAX_TOKENS = 64;

type Fixture = {pair: ModelPair, decoder: Decoder, prompts: EvalPrompt[], big: GenerationResult[], little: GenerationResult[]};

async function loadFixture(files: {big: string, little: string}, prompts: EvalPrompt[]): Promise<Fixture> {
    const pair = await ModelPair.load(files);
    const decoder = Decoder.fromPair(pair);
    const big: GenerationResult[] = [];
    const little: GenerationResult[] = [];
    for (const {prompt} of prompts) {
        big.push(await decoder.generate(prompt, {mode: "big", maxTokens: MAX_TOKENS}));
        little.push(await decoder.generate(prompt, {mode: "little", maxTokens: MAX_TOKENS}));
    }
    return {pair, decoder, prompts, big, little};
}

async function assertMatches(
    fixture: Fixture, options: GenerateOptions, reference: "big" | "little", report: (message: string) => void, penalty: GenerateOptions = {}
): Promise<GenerationResult[]> {
    const ties: (Tie & {id: string})[] = [];
    const results: GenerationResult[] = [];
    for (const [i, {id, prompt}] of fixture.prompts.entries()) {
        const result = await fixture.decoder.generate(prompt, {...options, maxTokens: MAX_TOKENS});
        results.push(result);
        const found = await assertSameOutputTieAware(
            fixture.decoder, reference === "big" ? fixture.pair.big : fixture.pair.little, reference,
            fixture.pair.tokenizer.encodePrompt(prompt), result.tokens, fixture[reference][i]!.tokens,
            `${id} ${JSON.stringify(options)}`, penalty
        );
        ties.push(...found.map((tie) => ({...tie, id})));
    }
    report(`${results.length} prompts × ${MAX_TOKENS} tokens; numerical ties forgiven: ` +
        (ties.length === 0 ? "none" : ties.map((tie) => `${tie.id}@${tie.position} (logit gap ${tie.gap.toExponential(2)})`).join(", ")));
    return results;
}

/**
 * The lossless and limiting cases of BiLD against plain greedy decoding with one model, token for
 * token, on real models: `prompts` is called inside the suite, so that a suite skipped for a missing
 * file never reads it.
 */
export function describeEquivalences(
    name: string, files: {big: string, little: string}, prompts: () => EvalPrompt[], suiteOptions: {skip?: string} = {}
): void {
    describe(`output equivalences on the ${name} (real models, ${MAX_TOKENS} tokens per prompt)`, suiteOptions, () => {
        let fixture: Fixture;
        before(async () => {
            fixture = await loadFixture(files, prompts());
        });
        after(async () => {
            await fixture.decoder[Symbol.asyncDispose]();
            await fixture.pair[Symbol.asyncDispose]();
        });

        it("the default settings (bild, lossless verification, run-confidence drafting) ≡ big greedy", async (t) => {
            const results = await assertMatches(fixture, {}, "big", (m) => t.diagnostic(m));
            assert.ok(results.some((result) => result.stats.draftAccepted > 0), "little tokens were actually used");
        });

        it("bild with the paper's rule (α_FB 0.6) and rollbackThreshold 0 ≡ big greedy", async (t) => {
            const results = await assertMatches(fixture, {mode: "bild", rollbackThreshold: 0, fallbackThreshold: 0.6}, "big", (m) => t.diagnostic(m));
            assert.ok(results.some((result) => result.stats.draftAccepted > 0), "little tokens were actually used");
        });

        it("bild with rollbackThreshold 0 and a low fallback threshold ≡ big greedy (rollbacks happen)", async (t) => {
            const results = await assertMatches(fixture, {mode: "bild", rollbackThreshold: 0, fallbackThreshold: 0.1}, "big", (m) => t.diagnostic(m));
            assert.ok(results.some((result) => result.stats.rollbacks > 0), "the setting exercises rollback");
        });

        it("bild with the run-confidence rule and rollbackThreshold 0 ≡ big greedy", async (t) => {
            await assertMatches(fixture, {mode: "bild", rollbackThreshold: 0, runConfidence: 0.1}, "big", (m) => t.diagnostic(m));
        });

        it("speculative ≡ big greedy", async (t) => {
            await assertMatches(fixture, {mode: "speculative", draftTokens: 4}, "big", (m) => t.diagnostic(m));
        });

        it("an adaptive run length (bild and speculative) ≡ big greedy", async (t) => {
            for (const options of [{mode: "bild", adaptiveRunLength: true}, {mode: "speculative", draftTokens: 6, adaptiveRunLength: true}] as const)
                await assertMatches(fixture, options, "big", (m) => t.diagnostic(`${JSON.stringify(options)}: ${m}`));
        });

        it("lookup drafting ≡ big greedy, and its drafts are kept", async (t) => {
            const results = await assertMatches(fixture, {mode: "lookup", lookupNgram: 2, draftTokens: 4}, "big", (m) => t.diagnostic(m));
            assert.ok(results.some((result) => result.stats.draftAccepted > 0));
        });

        it("n-gram drafting (alone, and before the little model) ≡ big greedy, its memory kept across prompts and tests, and its drafts are kept", async (t) => {
            for (const options of [{mode: "ngram"}, {mode: "bild", drafters: "ngram+little"}, {mode: "speculative", drafters: "ngram+little", ngramMinMatch: 2}] as const) {
                const results = await assertMatches(fixture, options, "big", (m) => t.diagnostic(`${JSON.stringify(options)}: ${m}`));
                assert.ok(results.some((result) => (result.stats.drafters.ngram?.accepted ?? 0) > 0), JSON.stringify(options));
            }
        });

        it("under repetition penalties, every lossless mode (drafts penalised or not) ≡ big greedy under the same penalty", async (t) => {
            for (const penalty of [{repeatPenalty: 1.2, repeatLastN: 64}, {frequencyPenalty: 0.4, presencePenalty: 0.4, repeatLastN: 32}]) {
                const reference: GenerationResult[] = [];
                for (const {prompt} of fixture.prompts)
                    reference.push(await fixture.decoder.generate(prompt, {...penalty, mode: "big", maxTokens: MAX_TOKENS}));
                assert.ok(reference.some((result, i) => result.text !== fixture.big[i]!.text), "the penalty changes some output");
                const penalized = {...fixture, big: reference};
                for (const mode of [{mode: "bild"}, {mode: "bild", draftPenalty: false}, {mode: "speculative"}, {mode: "lookup", lookupNgram: 2}, {mode: "ngram"}, {mode: "bild", drafters: "ngram+little"}, {mode: "bild", adaptiveRunLength: true}] as const)
                    await assertMatches(penalized, {...mode, ...penalty}, "big", (m) => t.diagnostic(`${JSON.stringify({...mode, ...penalty})}: ${m}`), penalty);
            }
        });

        it("fallbackThreshold > 1 ≡ big greedy", async (t) => {
            const results = await assertMatches(fixture, {mode: "bild", drafters: "little", fallbackThreshold: 1.5, rollbackThreshold: 3}, "big", (m) => t.diagnostic(m));
            assert.ok(results.every((result) => result.stats.draftAccepted === 0));
        });

        it("fallbackThreshold 0, no token limit, rollbackThreshold ∞ ≡ little greedy", async (t) => {
            const results = await assertMatches(fixture, {
                mode: "bild", drafters: "little", fallbackThreshold: 0, maxLittleTokens: Number.POSITIVE_INFINITY, rollbackThreshold: Number.POSITIVE_INFINITY
            }, "little", (m) => t.diagnostic(m));
            assert.ok(results.every((result) => result.stats.bigCalls === 1 && result.origins.every((origin) => origin === "little")));
        });
    });
}
