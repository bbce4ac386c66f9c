import assert from "node:assert/strict";
import type {Token as LlamaToken} from "node-llama-cpp";
import type {Decoder} from "../../src/decoding/Decoder.js";
import type {DecodingMode} from "../../src/decoding/DecodingMode.js";
import type {Token} from "../../src/engine/ModelSequence.js";
import type {LoadedModel} from "../../src/engine/LoadedModel.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {repetitionPenaltyOf} from "../../src/decoding/sampling/SamplingOptions.js";
import {penalizeLogits} from "./penaltyReference.js";

/**
 * llama.cpp's batched and one-token-at-a-time logits differ by ≈1e-4, and by up to a few 1e-3
 * after a different history of batch shapes in the cache (lookup drafting flipped a 1.3e-3 gap on
 * py-dev-026 with every n-gram and draft size tried, and a 3.0e-3 one on py-dev-000 under a
 * frequency and presence penalty; speculative decoding did neither), so where a model's two best
 * logits are closer than this, its argmax can legitimately differ between strategies. Only such
 * positions are forgiven, and only when the chosen token is one of the two.
 */
export const TIE_LOGIT_GAP = 4e-3;

export type Tie = {position: number, gap: number};

/** The top two logits after `context` (after the penalty of `penaltyOptions`), from a fresh context evaluating it in one batch. */
async function topTwoLogits(loaded: LoadedModel, context: readonly Token[], penaltyOptions: GenerateOptions): Promise<[number, number][]> {
    // Flash attention as the decoders under test have it: it changes logits in their last digits.
    const llamaContext = await loaded.model.createContext({contextSize: context.length + 8, threads: 1, flashAttention: loaded.flashAttention.enabled});
    try {
        const sequence = llamaContext.getSequence();
        const items = context.map((token, i) => i === context.length - 1
            ? [token as LlamaToken, {generateNext: {logits: true}}] as [LlamaToken, {generateNext: {logits: true}}]
            : token as LlamaToken);
        const results = await sequence.controlledEvaluate(items);
        const logits = results.at(-1)?.next.logits;
        assert.ok(logits != null);
        const penalty = repetitionPenaltyOf(penaltyOptions);
        if (penalty == null)
            return [...logits.entries()].slice(0, 2) as [number, number][];
        const byToken: number[] = [];
        for (const [token, logit] of logits)
            byToken[token] = logit;
        const penalized = penalizeLogits(byToken, context, penalty);
        return [...logits.keys()].map((token) => [token, penalized[token]!] as [number, number]).sort((a, b) => b[1] - a[1]).slice(0, 2);
    } finally {
        await llamaContext.dispose();
    }
}

/**
 * Asserts `actual` is `reference` (greedy output of `referenceMode`), token for token, except at
 * proven near-ties: there the comparison continues against the reference model's greedy
 * continuation of `actual`'s choice. Returns the ties it forgave. `penalty` holds the repetition
 * penalty settings both outputs were decoded under, if any.
 */
export async function assertSameOutputTieAware(
    decoder: Decoder, model: LoadedModel, referenceMode: DecodingMode, prompt: readonly Token[],
    actual: readonly Token[], reference: readonly Token[], label: string, penalty: GenerateOptions = {}
): Promise<Tie[]> {
    const ties: Tie[] = [];
    let expected = reference;
    for (;;) {
        const position = actual.findIndex((token, i) => token !== expected[i]);
        if (position < 0 && actual.length === expected.length)
            return ties;
        assert.ok(position >= 0, `${label}: lengths differ (${actual.length} vs ${expected.length}) with equal prefix`);
        const context = [...prompt, ...actual.slice(0, position)];
        const top = await topTwoLogits(model, context, penalty);
        const gap = top[0]![1] - top[1]![1];
        assert.ok(
            gap < TIE_LOGIT_GAP && top.some(([token]) => token === actual[position]),
            `${label}: differs at token ${position} (${actual[position]} vs ${expected[position]}) where the ` +
            `${referenceMode} model's top two logits are ${JSON.stringify(top)}, gap ${gap}: not a numerical tie`
        );
        ties.push({position, gap});
        const remaining = reference.length - position - 1;
        const continuation = remaining === 0 || model.model.isEogToken(actual[position] as LlamaToken)
            ? []
            : (await decoder.generate([...context, actual[position]!], {...penalty, mode: referenceMode, maxTokens: remaining})).tokens;
        expected = [...actual.slice(0, position + 1), ...continuation];
    }
}
