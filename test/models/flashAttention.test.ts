import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {copyFile, mkdtemp, readFile, rm, utimes} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {LoadedModel} from "../../src/engine/LoadedModel.js";
import {flashAttentionCacheFile} from "../../src/engine/chooseFlashAttention.js";
import {BUNDLED_PAIR} from "../support/fixtures.js";
import {CLI_ENV, runCli} from "../support/runCli.js";

describe("flash attention chosen by measurement on the CPU (bundled little model)", () => {
    let folder: string;
    let model: string;
    const savedCacheDir = process.env.BILD_CACHE_DIR;
    before(async () => {
        folder = await mkdtemp(path.join(tmpdir(), "bild-attention-"));
        process.env.BILD_CACHE_DIR = path.join(folder, "cache");
        model = path.join(folder, "little.gguf");
        await copyFile(BUNDLED_PAIR.little, model);
    });
    after(async () => {
        if (savedCacheDir == null)
            delete process.env.BILD_CACHE_DIR;
        else
            process.env.BILD_CACHE_DIR = savedCacheDir;
        await rm(folder, {recursive: true, force: true});
    });

    const load = async (settings: {flashAttention?: boolean | "auto"} = {}) => {
        const timed: string[] = [];
        const loaded = await LoadedModel.load(model, {threads: 1, contextSize: 512, onAttentionTiming: (file) => timed.push(file), ...settings});
        const choice = loaded.flashAttention;
        await loaded[Symbol.asyncDispose]();
        return {choice, timed};
    };
    const cachedEntries = async () => Object.keys(JSON.parse(await readFile(flashAttentionCacheFile(), "utf8"))).length;

    it("times both ways on first use, then reads the cache; a changed model file is timed again", async () => {
        const first = await load();
        assert.equal(first.choice.by, "measured");
        assert.deepEqual(first.timed, [model]);
        assert.ok(first.choice.msOn! > 0 && first.choice.msOff! > 0);
        assert.equal(first.choice.enabled, first.choice.msOff! >= 0.96 * first.choice.msOn!, "on unless off is more than 4 % faster");
        assert.equal(await cachedEntries(), 1);

        const second = await load({flashAttention: "auto"});
        assert.deepEqual(second.timed, [], "not timed again");
        assert.deepEqual(second.choice, {...first.choice, by: "cache"});

        const later = new Date(Date.now() + 60_000);
        await utimes(model, later, later);
        const changed = await load();
        assert.equal(changed.choice.by, "measured");
        assert.deepEqual(changed.timed, [model]);
        assert.equal(await cachedEntries(), 2);
    });

    it("an explicit setting overrides the measurement and times nothing", async () => {
        for (const flashAttention of [true, false]) {
            const {choice, timed} = await load({flashAttention});
            assert.deepEqual(choice, {enabled: flashAttention, by: "setting"});
            assert.deepEqual(timed, []);
        }
    });

    it("the CLI says when it times, and states the choice in --stats and --json", async () => {
        const env = {...CLI_ENV, BILD_CACHE_DIR: path.join(folder, "cli-cache")};
        const args = ["generate", "--little", model, "--max-tokens", "4", "--threads", "1", "--mode", "little"];
        const first = await runCli([...args, "--stats"], "def f():", env);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stderr, /^bild: timing flash attention on and off for little\.gguf \(once per model file, threads and CPU; cached in .*cli-cache\/flash-attention\.json\)$/m);
        assert.match(first.stderr, /^flash attention: big (on|off) \((measured|cache): [\d.]+ ms on vs [\d.]+ ms off\), little (on|off) \(measured: [\d.]+ ms on vs [\d.]+ ms off\)$/m);
        const again = await runCli([...args, "--json"], "def f():", env);
        assert.doesNotMatch(again.stderr, /timing flash attention/);
        assert.equal(JSON.parse(again.stdout).engine.flashAttention.little.by, "cache");
        const forced = await runCli([...args, "--stats", "--flash-attention", "off"], "def f():", env);
        assert.match(forced.stderr, /^flash attention: big off \(setting\), little off \(setting\)$/m);
    });
});
