import type {LlamaModel, Token as LlamaToken} from "node-llama-cpp";
import type {Token} from "./ModelSequence.js";

/** Text ↔ token ids, as the decoding loop needs them (a fake can stand in for tests). */
export interface TextCodec {
    /** Token ids run from 0 to `vocabularySize - 1`. */
    readonly vocabularySize: number;
    /** The prompt as the model expects it, BOS included where the model wants one. */
    encodePrompt(text: string): Token[];
    decode(tokens: readonly Token[]): string;
    /** The text of one token alone (empty for control tokens such as EOS). */
    piece(token: Token): string;
    /** Whether the token ends generation (EOS, EOT and the like). */
    isEndOfGeneration(token: Token): boolean;
}

/** Text ↔ token ids for a model pair (both models share it; see `checkSharedTokenizer`). */
export class Tokenizer implements TextCodec {
    readonly #model: LlamaModel;
    // Per-token text, memoised: the decoding loop asks for the piece of every token it appends.
    readonly #pieces = new Map<Token, string>();

    public readonly vocabularySize: number;

    public constructor(model: LlamaModel) {
        this.#model = model;
        this.vocabularySize = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    }

    public encodePrompt(text: string): Token[] {
        const tokens = this.encode(text);
        const bos = this.#model.tokens.bos;
        return this.#model.tokens.shouldPrependBosToken && bos != null ? [bos, ...tokens] : tokens;
    }

    /** The text's tokens alone, no BOS. */
    public encode(text: string): Token[] {
        return this.#model.tokenize(text);
    }

    public decode(tokens: readonly Token[]): string {
        return this.#model.detokenize(tokens as readonly LlamaToken[]);
    }

    public piece(token: Token): string {
        let piece = this.#pieces.get(token);
        if (piece == null) {
            piece = this.#model.detokenize([token as LlamaToken]);
            this.#pieces.set(token, piece);
        }
        return piece;
    }

    public isEndOfGeneration(token: Token): boolean {
        return this.#model.isEogToken(token as LlamaToken);
    }
}
