import type {Token} from "../engine/ModelSequence.js";
import type {TextCodec} from "../engine/Tokenizer.js";
import {emptyStats, type FinishReason, type GenerationStats, type TokenOrigin} from "./GenerationResult.js";

/**
 * One generation in progress: the prompt and output tokens, each output token's origin, how much of
 * the output is final (verified by the big model, or never subject to verification), and the stats.
 * Strategies advance it; streaming reads its final prefix.
 */
export class GenerationState {
    /** Prompt followed by the output: what a model's KV cache should hold. */
    public readonly tokens: Token[];
    public readonly promptLength: number;
    public readonly origins: TokenOrigin[] = [];
    public readonly stats: GenerationStats = emptyStats();
    readonly #codec: TextCodec;
    readonly #maxTokens: number;
    readonly #stops: readonly string[];
    readonly #longestStop: number;
    #finalLength = 0;
    // Text of the output so far, built from token pieces, and where each token's text ends; used to
    // spot stop strings as tokens arrive without decoding the whole output again.
    #text = "";
    readonly #textEnds: number[] = [];
    #stopFound = false;
    #timeUp = false;

    public constructor(prompt: readonly Token[], codec: TextCodec, maxTokens: number, stops: readonly string[]) {
        this.tokens = [...prompt];
        this.promptLength = prompt.length;
        this.#codec = codec;
        this.#maxTokens = maxTokens;
        this.#stops = stops;
        this.#longestStop = stops.reduce((longest, stop) => Math.max(longest, stop.length), 0);
        this.stats.promptTokens = prompt.length;
    }

    public get outputLength(): number {
        return this.tokens.length - this.promptLength;
    }

    /** Output tokens that can no longer change. */
    public get finalLength(): number {
        return this.#finalLength;
    }

    /** The output has hit max tokens, an end-of-generation token or a stop string (maybe not yet verified), or time is up. */
    public get endReached(): boolean {
        return this.outputLength >= this.#maxTokens || this.#stopFound || this.#endsWithEog() || this.#timeUp;
    }

    /** Ends the generation once what is pending has been verified: its time limit has passed. */
    public endForTimeLimit(): void {
        this.#timeUp = true;
    }

    /** The end is reached and every output token is final. */
    public get isComplete(): boolean {
        return this.endReached && this.#finalLength === this.outputLength;
    }

    public append(token: Token, origin: TokenOrigin): void {
        this.tokens.push(token);
        this.origins.push(origin);
        if (this.#longestStop === 0)
            return;
        const searchFrom = Math.max(0, this.#text.length - this.#longestStop + 1);
        this.#text += this.#codec.piece(token);
        this.#textEnds.push(this.#text.length);
        this.#stopFound ||= this.#stops.some((stop) => this.#text.includes(stop, searchFrom));
    }

    /** Drops output tokens after the first `outputLength` (they must not be final). */
    public truncateOutput(outputLength: number): void {
        if (outputLength < this.#finalLength)
            throw new Error(`cannot roll back to ${outputLength}: ${this.#finalLength} output tokens are already final`);
        this.tokens.length = this.promptLength + outputLength;
        this.origins.length = outputLength;
        if (this.#longestStop === 0)
            return;
        this.#textEnds.length = outputLength;
        this.#text = this.#text.slice(0, outputLength === 0 ? 0 : this.#textEnds[outputLength - 1]);
        // Stops are detected on the token that completes them and generation ends there, so any
        // stop found so far lies in the part that was just cut if it is gone from the text.
        this.#stopFound = this.#stopFound && this.#stops.some((stop) => this.#text.includes(stop));
    }

    /** Marks the whole output as final. */
    public finalizeOutput(): void {
        this.#finalLength = this.outputLength;
    }

    public get finishReason(): FinishReason {
        if (this.#stopFound)
            return "stop";
        if (this.#endsWithEog())
            return "eos";
        return this.outputLength < this.#maxTokens && this.#timeUp ? "time" : "length";
    }

    public outputTokens(): Token[] {
        return this.tokens.slice(this.promptLength);
    }

    #endsWithEog(): boolean {
        const last = this.tokens[this.tokens.length - 1];
        return this.outputLength > 0 && last != null && this.#codec.isEndOfGeneration(last);
    }
}
