import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {chooseSettings} from "../../src/eval/chooseSettings.js";
import {asCliFlags, asLibraryOptions, type DecodingSettings} from "../../src/decoding/settings/decodingSettings.js";
import type {BenchRow} from "../../src/eval/benchTypes.js";
import {benchRow} from "../support/benchRow.js";

const row = (name: string, mode: BenchRow["mode"], speedup: number, rougeLDelta: number, settings: DecodingSettings = {}): BenchRow =>
    benchRow(name, {mode, settings, speedup, rougeL: 10 + rougeLDelta, rougeLDelta});

describe("bild tune's choice", () => {
    const rows = [
        row("big", "big", 1, 0),
        row("little", "little", 9, -5),
        row("a", "bild", 1.4, 0, {mode: "bild", fallbackThreshold: 0.2, rollbackThreshold: 0, maxLittleTokens: 10}),
        row("b", "bild", 1.9, -0.8, {mode: "bild", fallbackThreshold: 0.1, rollbackThreshold: 2, maxLittleTokens: 10}),
        row("c", "bild", 2.5, -1.5, {mode: "bild", fallbackThreshold: 0.1, rollbackThreshold: 5, maxLittleTokens: 10}),
        row("d", "bild", 1.6, 0, {mode: "bild", runConfidence: 0.05, maxLittleTokens: Number.POSITIVE_INFINITY}),
        row("e", "bild", 1.7, 0, {mode: "bild", runConfidence: 0.05, temperature: 0.8, seed: 1})
    ];

    it("picks the fastest BiLD row within the quality budget, and the fastest lossless one", () => {
        assert.equal(chooseSettings(rows, 1).withinBudget?.name, "b");
        assert.equal(chooseSettings(rows, 2).withinBudget?.name, "c");
        assert.equal(chooseSettings(rows, 0).withinBudget?.name, "e");
        assert.equal(chooseSettings(rows, 1).lossless?.name, "d", "the default verification is lossless; sampled rows are not identical to big");
    });

    it("reports nothing within budget when no BiLD row beats big", () => {
        assert.equal(chooseSettings([row("big", "big", 1, 0), row("slow", "bild", 0.8, 0, {mode: "bild", fallbackThreshold: 0.6, rollbackThreshold: 0})], 1).withinBudget, undefined);
    });

    it("prints settings as CLI flags and library options", () => {
        assert.equal(asCliFlags({mode: "bild", fallbackThreshold: 0.2, rollbackThreshold: 0, maxLittleTokens: 10}),
            "--mode bild --fallback-threshold 0.2 --max-little-tokens 10 --rollback-threshold 0");
        assert.equal(asCliFlags({mode: "bild", runConfidence: 0.05, maxLittleTokens: Number.POSITIVE_INFINITY, strict: true, stop: ["\n\n"]}),
            "--mode bild --stop \"\\n\\n\" --run-confidence 0.05 --max-little-tokens inf --strict");
        assert.equal(asLibraryOptions({mode: "bild", runConfidence: 0.05, maxLittleTokens: Number.POSITIVE_INFINITY}),
            "{mode: \"bild\", runConfidence: 0.05, maxLittleTokens: Infinity}");
    });
});
