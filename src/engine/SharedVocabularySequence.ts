import type {LogitPairs, ModelSequence, NextTokenFacts, Token} from "./ModelSequence.js";
import type {RepetitionPenalty} from "./RepetitionPenalty.js";

/**
 * The little model of a pair whose vocabularies differ in size (a converter's padding entries,
 * which llama.cpp's rule lets differ by up to 128: Qwen2.5-0.5B and -7B). An id the little model
 * lacks never reaches it: where the context holds one (the big model sampled a padding entry, or a
 * prompt named one), the little model reads `standIn` in its place and drafts from that slightly
 * different context, which the big model's verification makes harmless. Its logits are read over
 * the ids both models have, so a sampled draft is always one the big model can check, drawn from the
 * distribution the verification rule is given. A greedy draft (the engine's argmax) may still be an
 * id the big model lacks: `LittleModelDrafter` hands over to the big model there.
 */
export class SharedVocabularySequence implements ModelSequence {
    readonly #inner: ModelSequence;
    readonly #draftableIds: number;
    readonly #standIn: Token;

    /**
     * @param draftableIds - the big model's vocabulary size.
     * @param standIn - an id of the little model's, read where the context holds one it lacks.
     */
    public constructor(inner: ModelSequence, draftableIds: number, standIn: Token) {
        if (standIn < 0 || standIn >= inner.vocabularySize)
            throw new RangeError(`stand-in token ${standIn} is outside the little model's ${inner.vocabularySize} ids`);
        this.#inner = inner;
        this.#draftableIds = draftableIds;
        this.#standIn = standIn;
    }

    /** What the cache holds: a stand-in where the context had an id the model lacks, which a prefix match then reads as a miss. */
    public get tokens(): readonly Token[] {
        return this.#inner.tokens;
    }

    public get vocabularySize(): number {
        return this.#inner.vocabularySize;
    }

    public evaluate(
        tokens: readonly Token[], outputCount: number, scoreTokens?: readonly (Token | undefined)[], penalty?: RepetitionPenalty
    ): Promise<NextTokenFacts[]> {
        const scored = scoreTokens?.map((token) => token != null && this.#has(token) ? token : undefined);
        return this.#inner.evaluate(this.#readable(tokens), outputCount, scored, penalty);
    }

    public async evaluateLogits(tokens: readonly Token[], outputCount: number, topK: number, penalty?: RepetitionPenalty): Promise<LogitPairs[]> {
        const outputs = await this.#inner.evaluateLogits(this.#readable(tokens), outputCount, topK, penalty);
        return outputs.map((pairs) => {
            const kept: number[] = [];
            for (let i = 0; i < pairs.length; i += 2)
                if (pairs[i]! < this.#draftableIds)
                    kept.push(pairs[i]!, pairs[i + 1]!);
            return kept;
        });
    }

    public truncate(length: number): Promise<void> {
        return this.#inner.truncate(length);
    }

    public async [Symbol.asyncDispose](): Promise<void> {
        await this.#inner[Symbol.asyncDispose]();
    }

    #has(token: Token): boolean {
        return token >= 0 && token < this.#inner.vocabularySize;
    }

    #readable(tokens: readonly Token[]): readonly Token[] {
        return tokens.every((token) => this.#has(token)) ? tokens : tokens.map((token) => this.#has(token) ? token : this.#standIn);
    }
}
