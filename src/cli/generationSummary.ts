import type {GenerationResult, GenerationStats} from "../decoding/GenerationResult.js";

/** The same prompt decoded by the big model alone, in the same process, for `generate --compare`. */
export type BigComparison = {
    /** Tokens/s of the requested mode over the big model's alone. */
    readonly speedup: number,
    readonly tokensPerSecond: number,
    readonly bigTokensPerSecond: number,
    /** Greedy only: whether the output equals the big model's, token for token. */
    readonly identical?: boolean,
    /** Greedy only: the first token where the outputs differ. */
    readonly firstDifference?: number
};

export function compareWithBig(result: GenerationResult, big: GenerationResult): BigComparison {
    const rate = (stats: GenerationStats) => stats.generatedTokens / (stats.totalMs / 1000);
    const comparison = {speedup: rate(result.stats) / rate(big.stats), tokensPerSecond: rate(result.stats), bigTokensPerSecond: rate(big.stats)};
    // Sampled outputs follow the big model's distribution at best, never its draws token for token.
    if (result.seed != null)
        return comparison;
    const length = Math.max(result.tokens.length, big.tokens.length);
    let firstDifference = 0;
    while (firstDifference < length && result.tokens[firstDifference] === big.tokens[firstDifference])
        firstDifference++;
    return firstDifference === length
        ? {...comparison, identical: true}
        : {...comparison, identical: false, firstDifference};
}

const percent = (part: number, whole: number) => `${Math.round(100 * part / Math.max(whole, 1))} %`;

/** " by the little model", or " (little 80, ngram 20)" when several drafters wrote. */
function draftedBy(stats: GenerationStats): string {
    const writers = Object.entries(stats.drafters).filter(([, counts]) => counts.accepted > 0);
    if (writers.length === 1 && writers[0]![0] === "little")
        return " by the little model";
    return writers.length === 0 ? "" : ` (${writers.map(([name, counts]) => `${name} ${counts.accepted}`).join(", ")})`;
}

/** One line a person can read: who wrote the tokens, how often the big model ran, and against big alone. */
export function summaryLine(mode: string, {stats}: GenerationResult, comparison?: BigComparison): string {
    const parts = [`${mode}: ${stats.generatedTokens} tokens`];
    if (mode !== "big" && mode !== "little")
        parts[0] += `, ${stats.draftAccepted} (${percent(stats.draftAccepted, stats.generatedTokens)}) drafted${draftedBy(stats)}; ` +
            `the big model ran ${stats.bigCalls} times for ${stats.generatedTokens} tokens`;
    if (comparison != null) {
        if (comparison.identical === true)
            parts.push("output identical to --mode big");
        else if (comparison.identical === false)
            parts.push(`output differs from --mode big from token ${comparison.firstDifference} on`);
        parts.push(`${comparison.speedup.toFixed(2)}× the speed of the big model alone ` +
            `(${comparison.tokensPerSecond.toFixed(0)} vs ${comparison.bigTokensPerSecond.toFixed(0)} tok/s, measured in this process)`);
    }
    return parts.join("; ");
}

/** Counters and the time split, for `--stats`. */
export function formatStats(stats: GenerationStats): string {
    const seconds = stats.totalMs / 1000;
    const share = (ms: number) => `${(100 * ms / Math.max(stats.totalMs, 1e-9)).toFixed(1)}%`;
    return [
        `tokens: ${stats.generatedTokens} generated (${stats.draftAccepted} drafted, ${stats.bigTokens} big), ` +
        `${stats.promptTokens} prompt; ${(stats.generatedTokens / seconds).toFixed(1)} tok/s over ${seconds.toFixed(3)} s`,
        ...Object.entries(stats.drafters).map(([name, counts]) =>
            `drafter ${name}: ${counts.runs} runs, ${counts.proposed} proposed, ${counts.accepted} accepted`),
        `little model: ${stats.littleCalls} calls, ${stats.littleTokensEvaluated} tokens evaluated`,
        `big: ${stats.bigCalls} calls, ${stats.bigTokensEvaluated} tokens evaluated; ${stats.fallbacks} fallbacks, ` +
        `${stats.rollbacks} rollbacks, ${stats.discarded} tokens discarded`,
        `time: big ${share(stats.timeBigMs)}, little ${share(stats.timeLittleMs)}, bild ${share(stats.timeOwnMs)}`
    ].join("\n");
}
