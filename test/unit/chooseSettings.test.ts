import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {asCliFlags, asLibraryOptions, chooseSettings} from "../../src/eval/chooseSettings.js";
import type {BenchRow} from "../../src/eval/benchTypes.js";

const row = (name: string, mode: BenchRow["mode"], speedup: number, rougeLDelta: number, settings: Record<string, number> = {}): BenchRow => ({
    name, mode, settings, bound: false, prompts: 1, tokens: 1, totalMs: 1, medianMs: 1, tokensPerSecond: 1, speedup, baseline: "big",
    rougeL: 10 + rougeLDelta, rougeLDelta, bleu: 0, rougeLVsBig: 0, exactMatchPct: 0, prefixAgreementPct: 0, meanNllBig: 0
});

describe("bild tune's choice", () => {
    const rows = [
        row("big", "big", 1, 0),
        row("little", "little", 9, -5),
        row("a", "bild", 1.4, 0, {fallback: 0.2, rollback: 0, maxLittle: 10}),
        row("b", "bild", 1.9, -0.8, {fallback: 0.1, rollback: 2, maxLittle: 10}),
        row("c", "bild", 2.5, -1.5, {fallback: 0.1, rollback: 5, maxLittle: 10}),
        row("d", "bild", 1.6, 0, {run: 0.05, rollback: 0, maxLittle: Number.POSITIVE_INFINITY})
    ];

    it("picks the fastest BiLD row within the quality budget, and the fastest lossless one", () => {
        assert.equal(chooseSettings(rows, 1).withinBudget?.name, "b");
        assert.equal(chooseSettings(rows, 2).withinBudget?.name, "c");
        assert.equal(chooseSettings(rows, 0).withinBudget?.name, "d");
        assert.equal(chooseSettings(rows, 1).lossless?.name, "d");
    });

    it("reports nothing within budget when no BiLD row beats big", () => {
        assert.equal(chooseSettings([row("big", "big", 1, 0), row("slow", "bild", 0.8, 0, {fallback: 0.6, rollback: 0})], 1).withinBudget, undefined);
    });

    it("prints settings as CLI flags and library options", () => {
        assert.equal(asCliFlags(rows[2]!), "--mode bild --fallback 0.2 --rollback 0 --max-little 10");
        assert.equal(asCliFlags(rows[5]!), "--mode bild --run-confidence 0.05 --rollback 0 --max-little inf");
        assert.equal(asLibraryOptions(rows[5]!), "{mode: \"bild\", runConfidence: 0.05, rollbackThreshold: 0, maxLittleTokens: Infinity}");
    });
});
