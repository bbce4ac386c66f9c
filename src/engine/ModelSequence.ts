import type {RepetitionPenalty} from "./RepetitionPenalty.js";

export type Token = number;

/** Raw next-token logits of one position, flat: `[token, logit, token, logit, …]`, in any order. */
export type LogitPairs = readonly number[];

/**
 * What a decoding policy needs to know about one next-token distribution, read without
 * materialising the vocabulary: the argmax, its probability, and −log p of one chosen token.
 */
export type NextTokenFacts = {
    /** The most likely next token (greedy choice). */
    readonly token: Token,
    /** Probability of the most likely token (`token` when greedy) under the model's softmax. */
    readonly topProbability: number,
    /** −log p of the token passed in `scoreTokens` for this position; `NaN` when none was asked. */
    readonly scoredNll: number
};

/**
 * One model's view of one generation: a KV cache holding `tokens`, which can be extended by a batch
 * and cut back. This is the whole seam between decoding and the engine, so a scripted fake (or a
 * remote model) can stand in for llama.cpp.
 */
export interface ModelSequence extends AsyncDisposable {
    /** The tokens the KV cache holds, in order. */
    readonly tokens: readonly Token[];

    /** Ids the model has run from 0 to `vocabularySize - 1`; any other id must never be evaluated. */
    readonly vocabularySize: number;

    /**
     * Appends `tokens` to the cache in one batch and returns the next-token facts after each of the
     * last `outputCount` of them (oldest first).
     * @param scoreTokens - optional, one per output: the token whose −log p to report there.
     * @param penalty - optional: every fact is read from the logits after this penalty, each
     *   position's window taken from the tokens the cache holds up to and including it.
     */
    evaluate(
        tokens: readonly Token[], outputCount: number, scoreTokens?: readonly (Token | undefined)[], penalty?: RepetitionPenalty
    ): Promise<NextTokenFacts[]>;

    /**
     * Like {@link evaluate}, but returns the raw logits after each of the last `outputCount` tokens:
     * of the `topK` most likely tokens, or of the whole vocabulary when `topK` is 0; with `penalty`,
     * the logits after it (and the top k of those).
     */
    evaluateLogits(tokens: readonly Token[], outputCount: number, topK: number, penalty?: RepetitionPenalty): Promise<LogitPairs[]>;

    /** Cuts the cache back to its first `length` tokens. */
    truncate(length: number): Promise<void>;
}
