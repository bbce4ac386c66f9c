import jStat from "jstat";

/** Significance of every goodness-of-fit test in the suite: a correct sampler fails 1 run in 1000. */
export const SIGNIFICANCE = 0.001;

export type GoodnessOfFit = {statistic: number, degreesOfFreedom: number, pValue: number};

/**
 * Pearson's chi-square test of observed counts against expected probabilities. Outcomes expected
 * fewer than 5 times are pooled into one bin (the test's approximation needs ≥ 5 per bin).
 */
export function chiSquareTest(counts: ReadonlyMap<number, number>, expected: ReadonlyMap<number, number>): GoodnessOfFit {
    let draws = 0;
    for (const count of counts.values())
        draws += count;
    let statistic = 0;
    let bins = 0;
    let pooledObserved = draws;
    let pooledExpected = draws;
    for (const [outcome, probability] of expected) {
        const expectedCount = probability * draws;
        if (expectedCount < 5)
            continue;
        const observed = counts.get(outcome) ?? 0;
        statistic += (observed - expectedCount) ** 2 / expectedCount;
        bins++;
        pooledObserved -= observed;
        pooledExpected -= expectedCount;
    }
    if (pooledExpected >= 5) {
        statistic += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
        bins++;
    } else if (pooledObserved > 0) {
        // Draws where the expected distribution has (almost) no mass: only a wrong sampler makes many.
        statistic += (pooledObserved - pooledExpected) ** 2 / Math.max(pooledExpected, 1e-9);
        bins++;
    }
    const degreesOfFreedom = Math.max(1, bins - 1);
    return {statistic, degreesOfFreedom, pValue: 1 - jStat.chisquare.cdf(statistic, degreesOfFreedom)};
}

export function countDraws(draws: Iterable<number>): Map<number, number> {
    const counts = new Map<number, number>();
    for (const draw of draws)
        counts.set(draw, (counts.get(draw) ?? 0) + 1);
    return counts;
}
