import type {LlamaContextSequence} from "node-llama-cpp";
import type {LogitPairs, ModelSequence, NextTokenFacts, Token} from "./ModelSequence.js";
import {NativeBatchRunner, type NativeNextToken, type NativePenalty} from "./NativeBatchRunner.js";
import {penaltyWindows, type RepetitionPenalty} from "./RepetitionPenalty.js";

/**
 * {@link ModelSequence} over one sequence slot of a llama.cpp context.
 *
 * Each output position costs one greedy sample that returns Σexp(l − l_max) and the logits of only
 * the selected and the scored token: the top probability is 1 / Σ and
 * −log p(x) = l_max − l_x + ln Σ. No vocabulary-sized map or sort, so the cost does not grow with a
 * 150k vocabulary the way node-llama-cpp's `probabilities` / `confidence` do.
 */
export class LlamaModelSequence implements ModelSequence {
    readonly #sequence: LlamaContextSequence;
    readonly #sequenceId: number;
    readonly #runner: NativeBatchRunner;
    readonly #tokens: Token[] = [];
    public readonly vocabularySize: number;

    public constructor(sequence: LlamaContextSequence, runner: NativeBatchRunner, vocabularySize: number) {
        this.#sequence = sequence;
        this.vocabularySize = vocabularySize;
        this.#sequenceId = NativeBatchRunner.sequenceId(sequence);
        this.#runner = runner;
    }

    public get tokens(): readonly Token[] {
        return this.#tokens;
    }

    public async evaluate(
        tokens: readonly Token[], outputCount: number, scoreTokens?: readonly (Token | undefined)[], penalty?: RepetitionPenalty
    ): Promise<NextTokenFacts[]> {
        checkOutputCount(tokens, outputCount);
        const results = await this.#runner.evaluate(
            this.#sequenceId, this.#tokens.length, tokens, outputCount, scoreTokens, this.#native(tokens, outputCount, penalty)
        );
        this.#tokens.push(...tokens);
        return results.map((result, i) => toFacts(result, scoreTokens?.[i]));
    }

    /**
     * Raw logits cross into JS as one [token, logit] pair per candidate, after llama.cpp sorts the
     * candidates: proportional to the vocabulary when `topK` is 0, to k otherwise.
     */
    public async evaluateLogits(tokens: readonly Token[], outputCount: number, topK: number, penalty?: RepetitionPenalty): Promise<LogitPairs[]> {
        checkOutputCount(tokens, outputCount);
        const results = await this.#runner.evaluateLogits(
            this.#sequenceId, this.#tokens.length, tokens, outputCount, topK, this.#native(tokens, outputCount, penalty)
        );
        this.#tokens.push(...tokens);
        return results;
    }

    #native(tokens: readonly Token[], outputCount: number, penalty: RepetitionPenalty | undefined): NativePenalty | undefined {
        return penalty == null ? undefined : {penalty, windows: penaltyWindows(this.#tokens, tokens, outputCount, penalty.lastN)};
    }

    public async truncate(length: number): Promise<void> {
        const end = this.#tokens.length;
        if (length >= end)
            return;
        await this.#runner.truncate(this.#sequenceId, length, end);
        this.#tokens.length = length;
    }

    /** Frees the sequence slot (and its KV cache cells) for the next `createSequence`. */
    public async [Symbol.asyncDispose](): Promise<void> {
        await this.#sequence.dispose();
    }
}

function checkOutputCount(tokens: readonly Token[], outputCount: number): void {
    if (outputCount < 1 || outputCount > tokens.length)
        throw new RangeError(`cannot read ${outputCount} outputs from a batch of ${tokens.length} tokens`);
}

function toFacts({token, totalLogitWeight, logits}: NativeNextToken, scoreToken: Token | undefined): NextTokenFacts {
    const logTotal = Math.log(totalLogitWeight);
    let selectedLogit = Number.NaN;
    let scoredLogit = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < logits.length; i += 2) {
        if (logits[i] === token)
            selectedLogit = logits[i + 1]!;
        if (logits[i] === scoreToken)
            scoredLogit = logits[i + 1]!;
    }
    return {
        token,
        topProbability: 1 / totalLogitWeight,
        scoredNll: scoreToken == null ? Number.NaN : selectedLogit - scoredLogit + logTotal
    };
}
