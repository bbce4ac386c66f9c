import type {LlamaContextSequence, ControlledEvaluateInputItem, ControlledEvaluateIndexOutput, Token as LlamaToken} from "node-llama-cpp";
import type {ModelSequence, NextTokenFacts, Token} from "./ModelSequence.js";

type GenerateNextOptions = Extract<ControlledEvaluateInputItem, unknown[]>[1];

const NO_TOKENS: readonly LlamaToken[] = [];

/*
 * Greedy argmax plus Σ exp(l − l_max) and the logits of only the selected (and scored) token: the
 * top probability is 1 / Σ and log p(x) = l_x − l_max − ln Σ. This avoids the vocabulary-wide sort
 * and Map that node-llama-cpp's `confidence` / `probabilities` cost (≈20× more at 150k tokens).
 */
function generateNextOptions(scoreToken: Token | undefined): GenerateNextOptions {
    return {
        generateNext: {
            token: true,
            logits: {filter: {tokens: scoreToken == null ? NO_TOKENS : [scoreToken as LlamaToken], includeSelected: true}},
            totalLogitWeight: true,
            options: {temperature: 0}
        }
    };
}

const UNSCORED_OPTIONS = generateNextOptions(undefined);

/** {@link ModelSequence} over a node-llama-cpp context sequence. */
export class LlamaModelSequence implements ModelSequence {
    readonly #sequence: LlamaContextSequence;
    // A mirror of the cache: node-llama-cpp's `contextTokens` copies the whole array on every read.
    readonly #tokens: Token[] = [];

    public constructor(sequence: LlamaContextSequence) {
        this.#sequence = sequence;
    }

    public get tokens(): readonly Token[] {
        return this.#tokens;
    }

    public async evaluate(tokens: readonly Token[], outputCount: number, scoreTokens?: readonly (Token | undefined)[]): Promise<NextTokenFacts[]> {
        const firstOutput = tokens.length - outputCount;
        if (firstOutput < 0 || outputCount < 1)
            throw new RangeError(`cannot read ${outputCount} outputs from a batch of ${tokens.length} tokens`);
        const items: ControlledEvaluateInputItem[] = tokens.map((token, index) => {
            if (index < firstOutput)
                return token as LlamaToken;
            const scoreToken = scoreTokens?.[index - firstOutput];
            return [token as LlamaToken, scoreToken == null ? UNSCORED_OPTIONS : generateNextOptions(scoreToken)];
        });
        const results = await this.#sequence.controlledEvaluate(items);
        this.#tokens.push(...tokens);
        const facts: NextTokenFacts[] = new Array(outputCount);
        for (let i = 0; i < outputCount; i++)
            facts[i] = toFacts(results[firstOutput + i], scoreTokens?.[i]);
        return facts;
    }

    public async truncate(length: number): Promise<void> {
        const end = this.#tokens.length;
        if (length >= end)
            return;
        await this.#sequence.eraseContextTokenRanges([{start: length, end}]);
        this.#tokens.length = length;
    }

    public [Symbol.dispose](): void {
        this.#sequence.dispose();
    }
}

function toFacts(result: ControlledEvaluateIndexOutput | undefined, scoreToken: Token | undefined): NextTokenFacts {
    const next = result?.next;
    const token: Token | null | undefined = next?.token;
    const totalWeight = next?.totalLogitWeight;
    const maxLogit = token == null ? undefined : next?.logits?.get(token as LlamaToken);
    if (token == null || totalWeight == null || maxLogit == null)
        throw new Error("llama.cpp returned no next-token distribution for a position that asked for one");
    const logTotal = Math.log(totalWeight);
    let scoredNll = Number.NaN;
    if (scoreToken != null) {
        const scoredLogit = next?.logits?.get(scoreToken as LlamaToken);
        scoredNll = scoredLogit == null ? Number.POSITIVE_INFINITY : maxLogit - scoredLogit + logTotal;
    }
    return {token, probability: 1 / totalWeight, scoredNll};
}
