import type {BenchRow} from "../../src/eval/benchTypes.js";

/** A bench row for tests of what reads rows (tables, plots, choices): neutral numbers unless given. */
export const benchRow = (name: string, fields: Partial<BenchRow> = {}): BenchRow => ({
    name, mode: "bild", settings: {}, bound: false, prompts: 1, tokens: 1, totalMs: 1, medianMs: 1, tokensPerSecond: 1, speedup: 1,
    baseline: "big", rougeL: 0, rougeLDelta: 0, bleu: 0, rougeLVsBig: 0, exactMatchPct: 0, prefixAgreementPct: 0, meanNllBig: 0, repeatPct: 0, ...fields
});
