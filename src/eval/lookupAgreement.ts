import {LookupDrafter} from "../decoding/drafters/LookupDrafter.js";
import type {Token} from "../engine/ModelSequence.js";

/** The n-gram length of the bench's loop measure (`repeatPct`): long enough that ordinary code idioms rarely count. */
export const REPEAT_NGRAM = 4;

/** What lookup drafting proposes at one output position: how many tokens, and how many of those lead the output from there. */
export type LookupReplay = {readonly proposed: number, readonly agreeing: number};

/**
 * Per output position, what `LookupDrafter` (n-gram `ngram`, up to `maxDraft` tokens) proposes there
 * and how many of those tokens match the output from there on: what lookup drafting would have had
 * kept along that output (proposals past the output's end are not read, as the decoding loop stops
 * there). The bench's lookup bounds and replays schedule its runs; its loop measure counts the
 * positions where a 4-gram lookup proposes the right token (a loop scores near the output's length).
 */
export async function lookupAgreement(prompt: readonly Token[], output: readonly Token[], ngram: number, maxDraft: number): Promise<LookupReplay[]> {
    const drafter = new LookupDrafter(ngram, maxDraft);
    // Prompt and output up to the position, and past it the run proposed so far, as the decoding loop holds them.
    const tokens = [...prompt];
    const replays: LookupReplay[] = [];
    for (let position = 0; position < output.length; position++) {
        let proposed = 0;
        let agreeing = 0;
        for await (const {token} of drafter.propose(tokens)) {
            if (agreeing === proposed && token === output[position + proposed])
                agreeing++;
            tokens.push(token);
            proposed++;
            if (position + proposed === output.length)
                break;
        }
        replays.push({proposed, agreeing});
        tokens.length = prompt.length + position;
        tokens.push(output[position]!);
    }
    return replays;
}

/** How many of `output`'s tokens a {@link REPEAT_NGRAM}-gram lookup over the prompt and the output before them predicts. */
export async function repeatPredicted(prompt: readonly Token[], output: readonly Token[]): Promise<number> {
    return (await lookupAgreement(prompt, output, REPEAT_NGRAM, 1)).filter(({agreeing}) => agreeing > 0).length;
}
