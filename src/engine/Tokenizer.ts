import type {LlamaModel, Token as LlamaToken} from "node-llama-cpp";
import type {Token} from "./ModelSequence.js";

/** Text ↔ token ids, as the decoding loop needs them (a fake can stand in for tests). */
export interface TextCodec {
    /** Token ids run from 0 to `vocabularySize - 1`. */
    readonly vocabularySize: number;
    /**
     * The prompt as the model expects it, BOS included where the model wants one. Special tokens
     * written as text (`<|endoftext|>`) become those tokens, as in llama.cpp's tools and server,
     * unless `specialTokens` is false.
     */
    encodePrompt(text: string, specialTokens?: boolean): Token[];
    /** The text of `tokens`; ids outside the vocabulary have none. */
    decode(tokens: readonly Token[]): string;
    /** The text of one token alone (empty for control tokens such as EOS, and for ids outside the vocabulary). */
    piece(token: Token): string;
    /** Whether the token ends generation (EOS, EOT and the like). */
    isEndOfGeneration(token: Token): boolean;
    /** A lower bound on how many tokens `text` encodes to, found without tokenizing it. */
    minimumTokens(text: string): number;
}

/**
 * Text ↔ token ids for a model pair (both models share it; see `checkSharedTokenizer`). It is the
 * big model's: an id only the little model has (a padding entry) has no text here, as llama.cpp
 * gives none to unused tokens.
 */
export class Tokenizer implements TextCodec {
    readonly #model: LlamaModel;
    // Per-token text, memoised: the decoding loop asks for the piece of every token it appends.
    readonly #pieces = new Map<Token, string>();

    public readonly vocabularySize: number;

    public constructor(model: LlamaModel, vocabularySize: number) {
        this.#model = model;
        this.vocabularySize = vocabularySize;
    }

    public encodePrompt(text: string, specialTokens = true): Token[] {
        return this.asPrompt(this.encode(text, specialTokens));
    }

    /** A text's tokens (no BOS, from `encode` or a `BackgroundTokenizer`) as a prompt: BOS first where the model wants one. */
    public asPrompt(tokens: Token[]): Token[] {
        const bos = this.#model.tokens.bos;
        return this.#model.tokens.shouldPrependBosToken && bos != null ? [bos, ...tokens] : tokens;
    }

    /** The text's tokens alone, no BOS; special tokens parsed unless `specialTokens` is false. */
    public encode(text: string, specialTokens = true): Token[] {
        return this.#model.tokenize(text, specialTokens);
    }

    public decode(tokens: readonly Token[]): string {
        // llama.cpp reads a token's text by index, unchecked.
        const known = tokens.every(this.#known) ? tokens : tokens.filter(this.#known);
        return this.#model.detokenize(known as readonly LlamaToken[]);
    }

    public piece(token: Token): string {
        if (!this.#known(token))
            return "";
        let piece = this.#pieces.get(token);
        if (piece == null) {
            piece = this.#model.detokenize([token as LlamaToken]);
            this.#pieces.set(token, piece);
        }
        return piece;
    }

    public isEndOfGeneration(token: Token): boolean {
        return this.#known(token) && this.#model.isEogToken(token as LlamaToken);
    }

    /**
     * No token stands for more text than its vocabulary entry's UTF-8 bytes (byte-level BPE spells a
     * byte as one character, SentencePiece a space as "▁", a special token is its own text), so a
     * text of B bytes takes at least B / (the longest entry's bytes) tokens.
     */
    public minimumTokens(text: string): number {
        this.#longestEntryBytes ??= (this.#model.fileInfo.metadata.tokenizer?.ggml?.tokens ?? [])
            .reduce((longest, entry) => Math.max(longest, Buffer.byteLength(entry)), 1);
        return Math.ceil(Buffer.byteLength(text) / this.#longestEntryBytes);
    }

    #longestEntryBytes: number | undefined;

    readonly #known = (token: Token) => token >= 0 && token < this.vocabularySize;
}
