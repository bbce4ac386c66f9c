import type {Token} from "../engine/ModelSequence.js";

/** The n-gram length of the loop measure: long enough that ordinary code idioms rarely count. */
export const REPEAT_NGRAM = 4;

/**
 * How many of `output`'s tokens a lookup predicts: the token that followed the latest earlier
 * occurrence of the `ngram` tokens before it, in the prompt and the output so far. A generation
 * that loops scores near its length, fresh text near 0: the bench reports it as `repeatPct`.
 */
export function lookupPredictable(prompt: readonly Token[], output: readonly Token[], ngram = REPEAT_NGRAM): number {
    const all = [...prompt, ...output];
    // n-gram (as text) → the token that followed its latest occurrence so far.
    const followers = new Map<string, Token>();
    const key = (end: number) => all.slice(end - ngram, end).join(",");
    for (let end = ngram; end < prompt.length; end++)
        followers.set(key(end), all[end]!);
    let predicted = 0;
    for (let at = Math.max(prompt.length, ngram); at < all.length; at++) {
        if (followers.get(key(at)) === all[at])
            predicted++;
        followers.set(key(at), all[at]!);
    }
    return predicted;
}
