import {LookupDrafter} from "../decoding/drafters/LookupDrafter.js";
import type {Token} from "../engine/ModelSequence.js";
import type {Drafter} from "../decoding/drafters/Drafter.js";
import {emptyStats} from "../decoding/GenerationResult.js";

/** The n-gram length of the bench's loop measure (`repeatPct`): long enough that ordinary code idioms rarely count. */
export const REPEAT_NGRAM = 4;

/** What lookup drafting proposes at one output position: how many tokens, and how many of those lead the output from there. */
export type LookupReplay = {readonly proposed: number, readonly agreeing: number};

/**
 * Per output position, what a model-free `drafter` (fresh, never told what was kept: at its longest
 * runs) proposes there and how many of those tokens match the output from there on: what it would
 * have had kept along that output (proposals past the output's end are not read, as the decoding
 * loop stops there). The bench's lookup and n-gram bounds and replays schedule its runs.
 */
export async function draftAgreement(prompt: readonly Token[], output: readonly Token[], drafter: Drafter): Promise<LookupReplay[]> {
    // Prompt and output up to the position, and past it the run proposed so far, as the decoding loop holds them.
    const tokens = [...prompt];
    drafter.begin(prompt);
    const stats = emptyStats();
    const replays: LookupReplay[] = [];
    for (let position = 0; position < output.length; position++) {
        let proposed = 0;
        let agreeing = 0;
        for await (const {token} of drafter.propose(tokens, stats)) {
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

/**
 * {@link draftAgreement} of `LookupDrafter` (n-gram `ngram`, up to `maxDraft` tokens). The bench's
 * loop measure counts the positions where a 4-gram lookup proposes the right token (a loop scores
 * near the output's length).
 */
export const lookupAgreement = (prompt: readonly Token[], output: readonly Token[], ngram: number, maxDraft: number) =>
    draftAgreement(prompt, output, new LookupDrafter(ngram, maxDraft));

/** How many of `output`'s tokens a {@link REPEAT_NGRAM}-gram lookup over the prompt and the output before them predicts. */
export async function repeatPredicted(prompt: readonly Token[], output: readonly Token[]): Promise<number> {
    return (await lookupAgreement(prompt, output, REPEAT_NGRAM, 1)).filter(({agreeing}) => agreeing > 0).length;
}
