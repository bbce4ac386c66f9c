import {styleText} from "node:util";
import type {TextCodec} from "../engine/Tokenizer.js";
import type {GenerationResult, TokenOrigin} from "../decoding/GenerationResult.js";

const ORIGIN_COLORS = {little: "green", lookup: "cyan", ngram: "magenta", big: "blue", correction: "red"} as const satisfies Record<TokenOrigin, string>;

export const ORIGIN_LEGEND = `colours: ${styleText(ORIGIN_COLORS.little, "little (accepted)")}, ` +
    `${styleText(ORIGIN_COLORS.lookup, "lookup")}, ${styleText(ORIGIN_COLORS.ngram, "n-gram")}, ` +
    `${styleText(ORIGIN_COLORS.big, "big")}, ${styleText(ORIGIN_COLORS.correction, "big correction")}`;

/** The result's text with each token's text coloured by its origin. */
export function colorByOrigin(result: GenerationResult, codec: TextCodec): string {
    let out = "";
    let length = 0;
    for (let i = 0; i < result.tokens.length && length < result.text.length; i++) {
        const piece = codec.piece(result.tokens[i]!).slice(0, result.text.length - length);
        length += piece.length;
        out += styleText(ORIGIN_COLORS[result.origins[i]!], piece);
    }
    return out;
}
