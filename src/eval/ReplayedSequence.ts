import type {LogitPairs, ModelSequence, NextTokenFacts, Token} from "../engine/ModelSequence.js";
import type {DraftRun} from "./draftReplay.js";
import {callPriceMs, type CallPricing} from "./oracleBound.js";

/** What a replayed model reads after `context` (its whole cache up to a position), or undefined off the recorded path. */
export type RecordedAnswer = (context: readonly Token[]) => NextTokenFacts | undefined;

/**
 * A model read from recordings instead of run, each call priced by a measured cost curve: the
 * bench runs the real decoder (its strategy, drafters and rules) over it to price a setting without
 * running the models again. Greedy only: a scored token's −log p is 0 where it is the recorded
 * argmax and ∞ elsewhere, which is all a lossless rule reads. A read off the recorded path (after a
 * draft the big model rejects) answers an id past the vocabulary, which a drafter drops and which
 * no verified output holds: a decoder that used it would not reproduce the recorded output, which
 * the replay checks.
 */
export class ReplayedSequence implements ModelSequence {
    public readonly tokens: Token[] = [];
    public readonly vocabularySize: number;
    /** Milliseconds of the calls so far, priced. */
    public ms = 0;
    readonly #answer: RecordedAnswer;
    readonly #pricing: CallPricing;
    #calls = 0;

    public constructor(answer: RecordedAnswer, pricing: CallPricing, vocabularySize: number) {
        this.#answer = answer;
        this.#pricing = pricing;
        this.vocabularySize = vocabularySize;
    }

    public async evaluate(tokens: readonly Token[], outputCount: number, scoreTokens?: readonly (Token | undefined)[]): Promise<NextTokenFacts[]> {
        this.tokens.push(...tokens);
        this.#charge(tokens.length);
        return Array.from({length: outputCount}, (_, k) => {
            const end = this.tokens.length - outputCount + k + 1;
            const facts = this.#answer(this.tokens.slice(0, end)) ?? {token: this.vocabularySize, topProbability: 0, scoredNll: Number.NaN};
            const scored = scoreTokens?.[k];
            return scored == null ? facts : {...facts, scoredNll: scored === facts.token ? 0 : Number.POSITIVE_INFINITY};
        });
    }

    public evaluateLogits(): Promise<LogitPairs[]> {
        throw new Error("a replayed model has recorded greedy facts only, no logits");
    }

    public async truncate(length: number): Promise<void> {
        this.tokens.length = Math.min(this.tokens.length, length);
    }

    public async [Symbol.asyncDispose](): Promise<void> {}

    #charge(tokens: number): void {
        this.ms += callPriceMs(this.#pricing, tokens, this.#calls++ === 0);
    }
}

/** The big model along its greedy output: after the prompt and each prefix of `output`, the next output token. */
export function recordedBig(prompt: readonly Token[], output: readonly Token[]): RecordedAnswer {
    return (context) => {
        const position = onPath(context, prompt, output);
        return position === context.length - prompt.length && position < output.length
            ? {token: output[position]!, topProbability: 1, scoredNll: Number.NaN}
            : undefined;
    };
}

/**
 * The little model drafting along `output`: after the prompt, a prefix of the output and part of
 * the run it drafts there, the run's next token. Its reads depend on the context alone, so a run
 * that agrees with the output reads as the run from further on.
 */
export function recordedLittle(prompt: readonly Token[], output: readonly Token[], runs: readonly DraftRun[]): RecordedAnswer {
    return (context) => {
        const position = onPath(context, prompt, output);
        const run = runs[position];
        const drafted = context.length - prompt.length - position;
        if (run == null || drafted >= run.length)
            return undefined;
        for (let k = 0; k < drafted; k++)
            if (run[k]!.token !== context[prompt.length + position + k])
                return undefined;
        return run[drafted];
    };
}

/** How many output tokens `context` holds after the prompt before it leaves `output` (−1: not after the prompt). */
function onPath(context: readonly Token[], prompt: readonly Token[], output: readonly Token[]): number {
    if (context.length < prompt.length || prompt.some((token, i) => context[i] !== token))
        return -1;
    let position = 0;
    while (prompt.length + position < context.length && position < output.length && context[prompt.length + position] === output[position])
        position++;
    return position;
}
