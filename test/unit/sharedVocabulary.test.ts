import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {TokenDistribution} from "../../src/decoding/sampling/TokenDistribution.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import {SharedVocabularySequence} from "../../src/engine/SharedVocabularySequence.js";
import {BildUsageError} from "../../src/errors.js";
import {chiSquareTest, countDraws, SIGNIFICANCE} from "../support/chiSquare.js";
import {FakeSequence, fakeCodec, fakeLogits, greedyReference, littleLogits} from "../support/fakeModels.js";

// The fake vocabulary (8 ids) plus two padding ids (8, 9) whose logits compete with the others,
// so that a padded model picks them often: far more often than a real model picks its padding.
const SHARED = 8;
const PADDED = 10;
const padded = (logits: (context: readonly Token[]) => number[], seed: number) =>
    (context: readonly Token[]) => [...logits(context), ...fakeLogits(context, seed).slice(0, PADDED - SHARED).map((logit) => logit + 0.8)];
const bigLogits = (context: readonly Token[]) => fakeLogits(context, 1);
const little = (context: readonly Token[]) => littleLogits(context, 1, 2, 0.6);
const STAND_IN = 0;
const PROMPTS = ["a", "bc", "gfe", "dab", "cc", "abcdefg"];

/** A decoder whose big or little model has the two padding ids, the little one guarded as `ModelPair` guards it. */
function makePair(paddedModel: "big" | "little") {
    const big = paddedModel === "big" ? new FakeSequence(padded(bigLogits, 5), PADDED) : new FakeSequence(bigLogits);
    const littleSequence = paddedModel === "little" ? new FakeSequence(padded(little, 6), PADDED) : new FakeSequence(little);
    const decoder = new Decoder({
        big, little: new SharedVocabularySequence(littleSequence, big.vocabularySize, STAND_IN), codec: fakeCodec, contextSize: 4096
    });
    return {decoder, big, little: littleSequence};
}

const LOSSLESS: GenerateOptions[] = [
    {mode: "bild"}, {mode: "bild", rollbackThreshold: 0, fallbackThreshold: 0, maxLittleTokens: 8}, {mode: "speculative", draftTokens: 3}
];

describe("pairs whose vocabularies differ by padding entries (scripted models)", () => {
    for (const paddedModel of ["big", "little"] as const) {
        const lacking = paddedModel === "big" ? "little" : "big";
        it(`padded ${paddedModel}: lossless greedy output is the big model's, and the ${lacking} model never reads an id it lacks`, async () => {
            const {decoder, big, little: littleSequence} = makePair(paddedModel);
            const reference = (prompt: string) => greedyReference(fakeCodec.encodePrompt(prompt), big.vocabularySize === PADDED ? padded(bigLogits, 5) : bigLogits, 30);
            // The scenario is exercised: the padded model's greedy output holds padding ids.
            const paddedLogits = paddedModel === "big" ? padded(bigLogits, 5) : padded(little, 6);
            assert.ok(PROMPTS.some((prompt) => greedyReference(fakeCodec.encodePrompt(prompt), paddedLogits, 30).some((token) => token >= SHARED)));
            for (const options of LOSSLESS)
                for (const prompt of PROMPTS)
                    assert.deepEqual((await decoder.generate(prompt, {...options, maxTokens: 30})).tokens, reference(prompt), `${JSON.stringify(options)} on ${prompt}`);
            const fed = paddedModel === "big" ? littleSequence.fed : big.fed;
            assert.ok(fed.length > 0 && fed.every((token) => token < SHARED), `the ${lacking} model read ${fed.find((token) => token >= SHARED)}`);
        });

        it(`padded ${paddedModel}: sampling over the whole vocabulary (temperature 2, top-k 0) runs in every mode`, async () => {
            const {decoder, big, little: littleSequence} = makePair(paddedModel);
            let paddingSampled = 0;
            for (const mode of ["bild", "speculative", "big", "little"] as const)
                for (let seed = 0; seed < 20; seed++) {
                    const {tokens} = await decoder.generate(PROMPTS[seed % PROMPTS.length]!, {mode, temperature: 2, topK: 0, maxTokens: 30, seed});
                    paddingSampled += tokens.filter((token) => token >= SHARED).length;
                }
            // Padding ids are the big model's to write, never the little model's to draft.
            if (paddedModel === "big")
                assert.ok(paddingSampled > 0, "no padding id was ever sampled: the test does not exercise them");
            else
                assert.equal(paddingSampled, 0);
            const fed = paddedModel === "big" ? littleSequence.fed : big.fed;
            assert.ok(fed.every((token) => token < SHARED), `the ${lacking} model read ${fed.find((token) => token >= SHARED)}`);
        });
    }

    it("strict sampling keeps the big model's distribution when the little model drafts from a padded vocabulary (chi-square, 4000 seeds)", async () => {
        const {decoder} = makePair("little");
        const settings = {temperature: 1, topK: 0, topP: 1, minP: 0};
        const prompt = fakeCodec.encodePrompt("ab");
        const first = TokenDistribution.fromLogits(bigLogits(prompt).flatMap((logit, token) => [token, logit]), settings);
        const expected = new Map(Array.from({length: SHARED}, (_, token) => [token, first.probabilityOf(token)]));
        const outcomes: number[] = [];
        for (let seed = 0; seed < 4000; seed++)
            outcomes.push((await decoder.generate("ab", {mode: "bild", strict: true, fallbackThreshold: 0, temperature: 1, topK: 0, maxTokens: 1, seed})).tokens[0]!);
        const fit = chiSquareTest(countDraws(outcomes), expected);
        assert.ok(fit.pValue > SIGNIFICANCE, `p-value ${fit.pValue}, χ² ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} dof`);
    });

    it("refuses prompt ids that one of the models lacks, naming the shared range", async () => {
        const {decoder} = makePair("big");
        await assert.rejects(decoder.generate([1, 9], {maxTokens: 3}), (error: unknown) =>
            error instanceof BildUsageError && /prompt token id 9 is not one the models share: ids must be integers from 0 to 7/.test(error.message));
        await assert.rejects(decoder.generate([1, 10], {mode: "big", maxTokens: 3}), /prompt token id 10 is not one the model has: .* 0 to 9/);
        assert.equal((await decoder.generate([1, 9], {mode: "big", maxTokens: 3})).tokens.length, 3);
    });
});
