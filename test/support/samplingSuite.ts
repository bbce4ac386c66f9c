import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {ModelPair} from "../../src/engine/ModelPair.js";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {TokenDistribution} from "../../src/decoding/sampling/TokenDistribution.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {chiSquareTest, countDraws, SIGNIFICANCE} from "./chiSquare.js";
import type {EvalPrompt} from "./fixtures.js";
import {ResampleFromBigPolicy} from "./wrongPolicies.js";
import {assertSameOutputTieAware} from "./tieAware.js";

const SAMPLING = {temperature: 1, topK: 40, topP: 0.95, minP: 0};
const DRAWS = 2000;
/** Context length of the exactness test: each seeded draw evaluates its prompt afresh. */
const CONTEXT_TOKENS = 8;

/**
 * Exactness of strict sampling (chi-square against the big model's own distribution, with a wrong
 * rule that must fail the same test) and seeded reproducibility, on a real pair. `prompts` gives
 * at least ten prompts and is called inside the suite.
 */
export function describeSampling(
    name: string, files: {big: string, little: string}, prompts: () => EvalPrompt[], suiteOptions: {skip?: string} = {}
): void {
    describe(`sampling on the ${name} (real models)`, suiteOptions, () => {
        let pair: ModelPair;
        let decoder: Decoder;
        let texts: string[];
        before(async () => {
            texts = prompts().map(({prompt}) => prompt);
            pair = await ModelPair.load(files, {sequences: 2});
            decoder = Decoder.fromPair(pair);
        });
        after(async () => {
            await decoder[Symbol.asyncDispose]();
            await pair[Symbol.asyncDispose]();
        });

        /** Each model's adjusted distribution of the first token after `prompt`, from the whole vocabulary's logits. */
        async function firstTokenDistributions(prompt: readonly Token[]) {
            const read = async (model: typeof pair.big) => {
                const sequence = model.createSequence();
                try {
                    const [logits] = await sequence.evaluateLogits(prompt, 1, 0);
                    return TokenDistribution.fromLogits(logits!, SAMPLING);
                } finally {
                    await sequence[Symbol.asyncDispose]();
                }
            };
            return {big: await read(pair.big), little: await read(pair.little)};
        }

        function totalVariation(p: TokenDistribution, q: TokenDistribution): number {
            let distance = 0;
            for (let token = 0; token < pair.tokenizer.vocabularySize; token++)
                distance += Math.abs(p.probabilityOf(token) - q.probabilityOf(token));
            return distance / 2;
        }

        // The exactness test is only as sharp as the models' disagreement: use the context (the start
        // of one of the first ten dev prompts) where their first-token distributions differ most, so
        // that a wrong rule shows.
        let prompt: Token[];
        let expected: Map<number, number>;
        let totalVariationUsed = 0;
        before(async () => {
            let widest = -1;
            for (const text of texts.slice(0, 10)) {
                const tokens = pair.tokenizer.encodePrompt(text).slice(0, CONTEXT_TOKENS);
                const {big, little} = await firstTokenDistributions(tokens);
                const distance = totalVariation(big, little);
                if (distance > widest) {
                    widest = distance;
                    prompt = tokens;
                    expected = new Map(Array.from({length: pair.tokenizer.vocabularySize}, (_, token) => [token, big.probabilityOf(token)]));
                }
            }
            assert.ok(widest > 0.2, `the models agree too well for the test to have power (TV ${widest})`);
            totalVariationUsed = widest;
        });

        async function firstTokens(options: GenerateOptions): Promise<Map<number, number>> {
            const draws: number[] = [];
            for (let seed = 0; seed < DRAWS; seed++)
                draws.push((await decoder.generate(prompt, {...SAMPLING, ...options, maxTokens: 1, seed})).tokens[0]!);
            return countDraws(draws);
        }

        for (const [name, options] of [
            ["strict speculative", {mode: "speculative"}],
            ["strict bild (the default: run-confidence drafting, the token crossing the floor verified)", {mode: "bild"}],
            ["strict bild with the paper's fallback rule (unsure drafts dropped, the rest verified)", {mode: "bild", strict: true, fallbackThreshold: 0.6}]
        ] as const)
            it(`${name}: the first token follows the big model's distribution (chi-square, ${DRAWS} draws, α = ${SIGNIFICANCE})`, async (t) => {
                const fit = chiSquareTest(await firstTokens(options), expected);
                t.diagnostic(`context of ${prompt.length} tokens, total variation between the models ${totalVariationUsed.toFixed(3)}`);
                t.diagnostic(`χ² ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} dof, p-value ${fit.pValue.toPrecision(3)}`);
                assert.ok(fit.pValue > SIGNIFICANCE, `p-value ${fit.pValue}, χ² ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} dof`);
            });

        it("the same test fails a wrong acceptance rule (resampling from the big model on rejection)", async (t) => {
            const fit = chiSquareTest(await firstTokens({mode: "bild", rollbackPolicy: new ResampleFromBigPolicy(), fallbackThreshold: 0}), expected);
            t.diagnostic(`χ² ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} dof, p-value ${fit.pValue.toPrecision(3)}`);
            assert.ok(fit.pValue < 1e-6, `wrong rule passed: p-value ${fit.pValue}`);
        });

        const modes: GenerateOptions[] = [{mode: "big"}, {mode: "little"}, {mode: "speculative"}, {mode: "bild"}, {mode: "bild", rollbackThreshold: 2}];

        async function outputs(options: GenerateOptions): Promise<Token[][]> {
            const results: Token[][] = [];
            for (const text of texts.slice(0, 4))
                results.push((await decoder.generate(text, {maxTokens: 32, ...options})).tokens);
            return results;
        }

        for (const options of modes) {
            it(`${JSON.stringify(options)}: same seed ⇒ same output, other seed ⇒ other output`, async () => {
                const sampled = {...options, ...SAMPLING, seed: 42};
                const first = await outputs(sampled);
                assert.deepEqual(await outputs(sampled), first);
                assert.notDeepEqual(await outputs({...sampled, seed: 43}), first);
            });

            it(`${JSON.stringify(options)}: temperature → 0 reduces to greedy`, async (t) => {
                // Lossy BiLD's limit is the lossless output: see the scripted-model test.
                const greedy = options.rollbackThreshold != null ? {mode: "big" as const} : options;
                const [cold, reference] = [await outputs({...options, temperature: 1e-5, seed: 1}), await outputs(greedy)];
                const model = greedy.mode === "little" ? pair.little : pair.big;
                for (const [i, text] of texts.slice(0, cold.length).entries()) {
                    // Batched and single-token logits differ in their last digits: a near-tie may go either way.
                    const ties = await assertSameOutputTieAware(decoder, model, greedy.mode ?? "bild", pair.tokenizer.encodePrompt(text),
                        cold[i]!, reference[i]!, `prompt ${i}`);
                    for (const tie of ties)
                        t.diagnostic(`prompt ${i}: near-tie forgiven at token ${tie.position} (logit gap ${tie.gap.toExponential(2)})`);
                }
            });
        }
    });
}
