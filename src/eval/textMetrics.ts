import {l as rougeLScore} from "js-rouge";

/**
 * Words as Google's `rouge-score` sees them: lower case, runs of ASCII letters and digits, all else
 * a separator. Used by both metrics so they count the same units.
 */
export function metricWords(text: string): string[] {
    return text.toLowerCase().split(/[^a-z0-9]+/).filter((word) => word !== "");
}

/** Sentence-level ROUGE-L F1 (LCS of words), 0–100. Empty against empty is 100. */
export function rougeL(candidate: string, reference: string): number {
    const candidateWords = metricWords(candidate);
    const referenceWords = metricWords(reference);
    if (candidateWords.length === 0 || referenceWords.length === 0)
        return candidateWords.length === referenceWords.length ? 100 : 0;
    return 100 * rougeLScore(candidateWords.join(" "), referenceWords.join(" "), {
        segmenter: (input) => [input],
        tokenizer: (input) => input.split(" ")
    });
}

const BLEU_MAX_ORDER = 4;

/**
 * Sentence BLEU-4, 0–100, with add-one smoothing of the 2- to 4-gram precisions (Lin & Och 2004,
 * "BLEU+1"), so one missing 4-gram does not zero a sentence. No npm package we found implements
 * smoothed sentence BLEU correctly, hence these lines; they are tested on hand-computed cases.
 */
export function bleu(candidate: string, reference: string): number {
    const candidateWords = metricWords(candidate);
    const referenceWords = metricWords(reference);
    if (candidateWords.length === 0)
        return 0;
    let logPrecisionSum = 0;
    for (let order = 1; order <= BLEU_MAX_ORDER; order++) {
        const referenceCounts = ngramCounts(referenceWords, order);
        const candidateCounts = ngramCounts(candidateWords, order);
        let matches = 0;
        let total = 0;
        for (const [ngram, count] of candidateCounts) {
            matches += Math.min(count, referenceCounts.get(ngram) ?? 0);
            total += count;
        }
        const smoothing = order === 1 ? 0 : 1;
        if (matches + smoothing === 0)
            return 0;
        logPrecisionSum += Math.log((matches + smoothing) / (total + smoothing));
    }
    const brevityPenalty = candidateWords.length >= referenceWords.length
        ? 1
        : Math.exp(1 - referenceWords.length / candidateWords.length);
    return 100 * brevityPenalty * Math.exp(logPrecisionSum / BLEU_MAX_ORDER);
}

function ngramCounts(words: readonly string[], order: number): Map<string, number> {
    const counts = new Map<string, number>();
    for (let i = 0; i + order <= words.length; i++) {
        const ngram = words.slice(i, i + order).join(" ");
        counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
    }
    return counts;
}
