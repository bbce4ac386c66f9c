import {LookupDrafter} from "../decoding/drafters/LookupDrafter.js";
import type {Token} from "../engine/ModelSequence.js";

/** The n-gram length of the bench's loop measure (`repeatPct`): long enough that ordinary code idioms rarely count. */
export const REPEAT_NGRAM = 4;

/**
 * Per output position, how many tokens of `LookupDrafter`'s proposal there (n-gram `ngram`, up to
 * `maxDraft` tokens) match the output from there on: what lookup drafting would have had kept along
 * that output. The bench's lookup bound schedules its runs; its loop measure counts the positions
 * where a 4-gram lookup proposes the right token (a loop scores near the output's length).
 */
export async function lookupAgreement(prompt: readonly Token[], output: readonly Token[], ngram: number, maxDraft: number): Promise<number[]> {
    const drafter = new LookupDrafter(ngram, maxDraft);
    // Prompt and output up to the position, and past it the proposals kept so far, as the decoding loop holds them.
    const tokens = [...prompt];
    const agreeing: number[] = [];
    for (let position = 0; position < output.length; position++) {
        let run = 0;
        for await (const {token} of drafter.propose(tokens)) {
            if (token !== output[position + run])
                break;
            tokens.push(token);
            run++;
        }
        agreeing.push(run);
        tokens.length = prompt.length + position;
        tokens.push(output[position]!);
    }
    return agreeing;
}

/** How many of `output`'s tokens a {@link REPEAT_NGRAM}-gram lookup over the prompt and the output before them predicts. */
export async function repeatPredicted(prompt: readonly Token[], output: readonly Token[]): Promise<number> {
    return (await lookupAgreement(prompt, output, REPEAT_NGRAM, 1)).filter((run) => run > 0).length;
}
