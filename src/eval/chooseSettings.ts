import type {DecodingSettings} from "../decoding/settings/decodingSettings.js";
import type {BenchRow} from "./benchTypes.js";

export type TuneChoice = {
    /** Fastest BiLD row whose ROUGE-L is at most `maxQualityDrop` points below big's; undefined if none beats big. */
    readonly withinBudget: BenchRow | undefined,
    /** Fastest lossless BiLD row (default verification or rollback threshold 0: output identical to big). */
    readonly lossless: BenchRow | undefined
};

/** A greedy BiLD row's output is the big model's unless it uses the paper's rule above α_RB = 0. */
const isLossless = (row: BenchRow) => {
    const {rollbackThreshold, temperature} = row.settings as DecodingSettings;
    return (rollbackThreshold ?? 0) === 0 && (temperature ?? 0) === 0;
};

export function chooseSettings(rows: readonly BenchRow[], maxQualityDrop: number): TuneChoice {
    const bild = rows.filter((row) => row.mode === "bild");
    const fastest = (candidates: readonly BenchRow[]) => candidates.reduce<BenchRow | undefined>(
        (best, row) => best == null || row.speedup > best.speedup ? row : best, undefined);
    const withinBudget = fastest(bild.filter((row) => row.rougeLDelta >= -maxQualityDrop && row.speedup > 1));
    return {withinBudget, lossless: fastest(bild.filter(isLossless))};
}
