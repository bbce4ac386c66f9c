import type {Token} from "../engine/ModelSequence.js";
import type {TextCodec} from "../engine/Tokenizer.js";
import {BildUsageError} from "../errors.js";
import type {DecodingPlan} from "./DecodingPlan.js";
import type {DecodingMode} from "./DecodingMode.js";
import {MODE_TABLE} from "./modeTable.js";

/** The vocabulary sizes of a pair's two models (a padded vocabulary's extra ids are one model's alone). */
export type VocabularySizes = {readonly big: number, readonly little: number};

/**
 * Turns a prompt into the token ids a generation starts from, and refuses one that cannot run:
 * empty, naming ids a model that reads it lacks, or too long for the context with its max tokens.
 * It touches no model, so a server checks a request before it waits for a decoder.
 */
export class PromptPreparer {
    readonly #codec: TextCodec;
    readonly #contextSize: number;
    readonly #vocabularies: VocabularySizes;

    public constructor(codec: TextCodec, contextSize: number, vocabularies: VocabularySizes) {
        this.#codec = codec;
        this.#contextSize = contextSize;
        this.#vocabularies = vocabularies;
    }

    public prepare(prompt: string | readonly Token[], plan: Pick<DecodingPlan, "mode" | "maxTokens" | "specialTokens">): readonly Token[] {
        if (typeof prompt === "string") {
            this.checkTextLength(prompt, plan);
            return this.checkEncoded(this.#codec.encodePrompt(prompt, plan.specialTokens), plan);
        }
        this.#checkIds(prompt, plan.mode);
        return this.checkEncoded(prompt, plan);
    }

    /** Refuses a text too long for any tokenization of it, before a tokenizer spends time on it. */
    public checkTextLength(text: string, plan: Pick<DecodingPlan, "maxTokens">): void {
        this.#checkFits(this.#codec.minimumTokens(text), plan.maxTokens, "at least ");
    }

    /** A text prompt's tokens (tokenized elsewhere, BOS included), checked as `prepare` checks them. */
    public checkEncoded(tokens: readonly Token[], plan: Pick<DecodingPlan, "maxTokens">): readonly Token[] {
        if (tokens.length === 0)
            throw new BildUsageError("the prompt is empty and the model adds no BOS token: give a prompt");
        this.#checkFits(tokens.length, plan.maxTokens, "");
        return tokens;
    }

    #checkFits(promptTokens: number, maxTokens: number, bound: string): void {
        if (promptTokens + maxTokens > this.#contextSize)
            throw new BildUsageError(
                `the prompt (${bound}${promptTokens} tokens) plus max tokens (${maxTokens}) exceed the context size ` +
                `(${this.#contextSize}): shorten the prompt, lower max tokens or raise the context size`
            );
    }

    /** Token-id prompts name ids every model that reads them has. */
    #checkIds(prompt: readonly Token[], mode: DecodingMode): void {
        const readers = MODE_TABLE[mode].models;
        const ids = Math.min(...readers.map((model) => this.#vocabularies[model]));
        const bad = prompt.find((token) => !Number.isInteger(token) || token < 0 || token >= ids);
        if (bad !== undefined)
            throw new BildUsageError(
                `prompt token id ${bad} is not one the model${readers.length > 1 ? "s share" : " has"}: ids must be integers from 0 to ${ids - 1}`
            );
    }
}
