import type {BenchRow} from "./benchTypes.js";

export type TuneChoice = {
    /** Fastest BiLD row whose ROUGE-L is at most `maxQualityDrop` points below big's; undefined if none beats big. */
    readonly withinBudget: BenchRow | undefined,
    /** Fastest BiLD row with rollback threshold 0 (output identical to big). */
    readonly lossless: BenchRow | undefined
};

export function chooseSettings(rows: readonly BenchRow[], maxQualityDrop: number): TuneChoice {
    const bild = rows.filter((row) => row.mode === "bild");
    const fastest = (candidates: readonly BenchRow[]) => candidates.reduce<BenchRow | undefined>(
        (best, row) => best == null || row.speedup > best.speedup ? row : best, undefined);
    const withinBudget = fastest(bild.filter((row) => row.rougeLDelta >= -maxQualityDrop && row.speedup > 1));
    return {withinBudget, lossless: fastest(bild.filter((row) => row.settings.rollback === 0))};
}

const cliNumber = (value: number | undefined) => value === Number.POSITIVE_INFINITY ? "inf" : String(value);

/** The row's settings as `bild generate` flags. */
export function asCliFlags(row: BenchRow): string {
    const {fallback, run, rollback, maxLittle} = row.settings;
    const rule = run == null ? `--fallback ${cliNumber(fallback)}` : `--run-confidence ${cliNumber(run)}`;
    return `--mode bild ${rule} --rollback ${cliNumber(rollback)} --max-little ${cliNumber(maxLittle)}`;
}

/** The row's settings as `GenerateOptions` for the library. */
export function asLibraryOptions(row: BenchRow): string {
    const {fallback, run, rollback, maxLittle} = row.settings;
    const value = (number: number | undefined) => number === Number.POSITIVE_INFINITY ? "Infinity" : String(number);
    const rule = run == null ? `fallbackThreshold: ${value(fallback)}` : `runConfidence: ${value(run)}`;
    return `{mode: "bild", ${rule}, rollbackThreshold: ${value(rollback)}, maxLittleTokens: ${value(maxLittle)}}`;
}
