import type {LogitPairs, ModelSequence, NextTokenFacts, Token} from "../../src/engine/ModelSequence.js";
import type {TextCodec} from "../../src/engine/Tokenizer.js";
import type {RepetitionPenalty} from "../../src/engine/RepetitionPenalty.js";
import {penalizeLogits} from "./penaltyReference.js";

/** Tokens 0–6 are the letters a–g; 7 is EOS. */
export const FAKE_EOS = 7;
const LETTERS = "abcdefg";
const VOCABULARY = 8;

/** A deterministic "language model": logits are a hash of the last three tokens and a seed. */
export function fakeLogits(context: readonly Token[], seed: number): number[] {
    let hash = 2166136261 ^ seed;
    for (const token of context.slice(-3)) {
        hash ^= token + 1;
        hash = Math.imul(hash, 16777619) >>> 0;
    }
    const logits: number[] = [];
    for (let i = 0; i < VOCABULARY; i++) {
        hash ^= i + 17;
        hash = Math.imul(hash, 16777619) >>> 0;
        logits.push((hash % 1000) / 250);
    }
    // EOS rarely wins unless asked for.
    logits[FAKE_EOS]! -= 3;
    return logits;
}

export function factsOf(logits: readonly number[], scoreToken?: Token): NextTokenFacts {
    let best = 0;
    for (let i = 1; i < logits.length; i++)
        if (logits[i]! > logits[best]!)
            best = i;
    const total = logits.reduce((sum, logit) => sum + Math.exp(logit - logits[best]!), 0);
    return {
        token: best,
        topProbability: 1 / total,
        scoredNll: scoreToken == null ? Number.NaN : logits[best]! - logits[scoreToken]! + Math.log(total)
    };
}

/** Little models disagree with big ones by adding another hash's noise to the same logits. */
export function littleLogits(context: readonly Token[], bigSeed: number, littleSeed: number, noise: number): number[] {
    const noiseLogits = fakeLogits(context, littleSeed);
    return fakeLogits(context, bigSeed).map((logit, i) => logit + noise * noiseLogits[i]!);
}

/** A {@link ModelSequence} over a logit function, counting calls and checking cache discipline. */
export class FakeSequence implements ModelSequence {
    public readonly tokens: Token[] = [];
    public calls = 0;
    public disposed = false;
    /** Every id fed to the model, in order: a test checks that none was outside its vocabulary. */
    public readonly fed: Token[] = [];
    readonly #logits: (context: readonly Token[]) => number[];

    /** @param vocabularySize - the logit function's length (the letters and EOS unless a test widens it). */
    public constructor(logits: (context: readonly Token[]) => number[], public readonly vocabularySize = VOCABULARY) {
        this.#logits = logits;
    }

    public async evaluate(
        tokens: readonly Token[], outputCount: number, scoreTokens?: readonly (Token | undefined)[], penalty?: RepetitionPenalty
    ): Promise<NextTokenFacts[]> {
        return this.#outputs(tokens, outputCount, penalty).map((logits, i) => factsOf(logits, scoreTokens?.[i]));
    }

    /** The whole vocabulary's logits, in a scrambled order (the engine promises none); top-k is left to the caller. */
    public async evaluateLogits(tokens: readonly Token[], outputCount: number, _topK?: number, penalty?: RepetitionPenalty): Promise<LogitPairs[]> {
        return this.#outputs(tokens, outputCount, penalty).map((logits) => logits.flatMap((_, i) => {
            const token = (i * 3 + 5) % logits.length;
            return [token, logits[token]!];
        }));
    }

    #outputs(tokens: readonly Token[], outputCount: number, penalty: RepetitionPenalty | undefined): number[][] {
        if (tokens.length === 0 || outputCount > tokens.length)
            throw new Error(`bad evaluate call: ${tokens.length} tokens, ${outputCount} outputs`);
        this.calls++;
        this.fed.push(...tokens);
        const firstOutput = this.tokens.length + tokens.length - outputCount;
        this.tokens.push(...tokens);
        return Array.from({length: outputCount}, (_, i) => {
            const context = this.tokens.slice(0, firstOutput + i + 1);
            const logits = this.#logits(context);
            return penalty == null ? logits : penalizeLogits(logits, context, penalty);
        });
    }

    public async truncate(length: number): Promise<void> {
        this.tokens.length = Math.min(this.tokens.length, length);
    }

    public async [Symbol.asyncDispose](): Promise<void> {
        this.disposed = true;
    }
}

export const fakeCodec: TextCodec = {
    vocabularySize: VOCABULARY,
    encodePrompt: (text) => [...text].map((char) => {
        const token = LETTERS.indexOf(char);
        if (token < 0)
            throw new Error(`fake codec has no token for ${JSON.stringify(char)}`);
        return token;
    }),
    decode: (tokens) => tokens.map((token) => LETTERS[token] ?? "").join(""),
    piece: (token) => LETTERS[token] ?? "",
    isEndOfGeneration: (token) => token === FAKE_EOS,
    minimumTokens: (text) => text.length
};

/** Greedy decoding straight from a logit function (after `penalty`): the reference the strategies must match. */
export function greedyReference(
    prompt: readonly Token[], logits: (context: readonly Token[]) => number[], maxTokens: number, penalty?: RepetitionPenalty
): Token[] {
    const context = [...prompt];
    const out: Token[] = [];
    while (out.length < maxTokens) {
        const token = factsOf(penalty == null ? logits(context) : penalizeLogits(logits(context), context, penalty)).token;
        out.push(token);
        context.push(token);
        if (token === FAKE_EOS)
            break;
    }
    return out;
}
