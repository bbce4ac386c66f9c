import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {access, mkdtemp, readFile, rm, stat, writeFile} from "node:fs/promises";
import {tmpdir} from "node:os";
import {getEngineLlama} from "../../src/engine/getEngineLlama.js";
import path from "node:path";
import {BUNDLED_PAIR, FIXTURE_PROMPTS} from "../support/fixtures.js";
import {runCli} from "../support/runCli.js";
import {DEFAULT_NATIVE_BIN_DIR} from "../../src/eval/nativeTools.js";

const nativeToolsBuilt = await access(path.join(DEFAULT_NATIVE_BIN_DIR, "llama-completion")).then(() => true, () => false);

type Row = {name: string, mode: string, settings: object, prompts: number, speedup: number, rougeL: number, rougeLDelta: number,
    exactMatchPct: number, tokensPerSecond: number, bound: boolean, repeatPct: number, best?: string};

describe("bild bench (bundled Python pair, 4 prompts × 16 tokens, prompts long enough to fill most of the context)", () => {
    let folder: string;
    before(async () => {
        folder = await mkdtemp(path.join(tmpdir(), "bild-bench-"));
    });
    after(async () => {
        await rm(folder, {recursive: true, force: true});
    });

    it("writes the table, results.json and the frontier plot; big has speed-up 1 and delta 0 by construction", async () => {
        const out = path.join(folder, "out");
        const run = await runCli([
            "bench", "--big", BUNDLED_PAIR.big, "--little", BUNDLED_PAIR.little, "--prompts", FIXTURE_PROMPTS,
            "--limit", "4", "--max-tokens", "16", "--grid", "fallback-threshold=0.4", "rollback-threshold=0,3", "draft-tokens=2", "--out", out,
            "--temperature", "0.8", "--native-bin", path.join(folder, "no-native-tools")
        ]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /no native rows: llama\.cpp's llama-completion is not in .*no-native-tools: build the native tools with `npm run build:native`/);
        assert.match(run.stdout, /^\| row \| tok\/s \| speed-up/);
        for (const file of ["results.json", "table.md", "frontier.svg", "frontier.png"])
            assert.ok((await stat(path.join(out, file))).size > 0, file);
        assert.match(await readFile(path.join(out, "frontier.svg"), "utf8"), /<svg/);

        const results = JSON.parse(await readFile(path.join(out, "results.json"), "utf8"));
        assert.ok(results.command.includes("bench"));
        assert.equal(typeof results.machine.cpus, "number");
        assert.equal(results.versions.nodeLlamaCpp, "3.22.1");
        // The CLI runs on one libuv worker unless told otherwise, which lets the big model take two cores.
        const oneWorker = (process.env.UV_THREADPOOL_SIZE ?? "1") === "1";
        assert.deepEqual(results.settings.threads, {big: oneWorker ? (await getEngineLlama()).cpuMathCores : 1, little: 1});
        const rows: Row[] = results.rows;
        assert.deepEqual(rows.map((row) => row.mode), [
            "big", "big", "big", "little", "speculative", "bild", "bild", "lookup", "lookup", "ngram",
            "big", "big", "big", "speculative", "lookup", "lookup", "ngram", "bild", "bild",
            "peer", "peer", "peer", "peer", "peer", "oracle", "oracle", "oracle", "oracle", "oracle", "oracle", "oracle", "oracle", "oracle", "oracle", "oracle"
        ]);
        // Our big model alone both ways (the big row runs the pair's choice, in results.settings), greedy and sampled.
        assert.deepEqual(rows.filter((row) => row.mode === "big").map((row) => row.name), ["big", "big fa=on", "big fa=off", "big T=0.8", "big T=0.8 fa=on", "big T=0.8 fa=off"]);
        assert.equal(typeof results.settings.flashAttention.big.enabled, "boolean");
        for (const row of rows.filter((row) => / fa=/.test(row.name)))
            assert.ok(row.tokensPerSecond > 0 && row.prompts === 4, row.name);
        const sampledBig = rows.find((row) => row.name === "big T=0.8")!;
        assert.equal(sampledBig.speedup, 1);
        for (const row of rows.filter((row) => row.name.includes("T=0.8")))
            assert.ok(Math.abs(row.speedup - row.tokensPerSecond / sampledBig.tokensPerSecond) < 1e-9, `${row.name} is measured against big sampling`);
        for (const row of rows)
            for (const field of ["name", "mode", "settings", "speedup", "rougeL", "rougeLDelta", "exactMatchPct", "tokensPerSecond"])
                assert.ok(field in row, `${row.name} has ${field}`);
        const big = rows[0]!;
        assert.equal(big.speedup, 1);
        assert.equal(big.rougeLDelta, 0);
        assert.equal(big.exactMatchPct, 100);
        for (const lossless of rows.filter((row) => !row.name.includes("T=") &&
            (["speculative", "lookup", "ngram", "peer", "oracle"].includes(row.mode) || row.name === "bild fb=0.4 rb=0")))
            assert.equal(lossless.exactMatchPct, 100, `${lossless.name} reproduces big`);
        for (const row of rows)
            assert.ok(row.repeatPct >= 0 && row.repeatPct <= 100, `${row.name} repeatPct ${row.repeatPct}`);
        const oracle = rows.find((row) => row.name === "oracle (bound)");
        const tree = rows.find((row) => row.name === "oracle, top-2 tree (bound)");
        assert.ok(oracle!.bound && tree!.bound);
        assert.deepEqual(rows.filter((row) => row.name.startsWith("oracle, lookup")).map((row) => row.name),
            ["oracle, lookup ng=2 (bound)", "oracle, lookup ng=3 (bound)"], "a lookup bound per n-gram length of the lookup rows");
        assert.deepEqual(rows.filter((row) => row.name.startsWith("oracle, ngram")).map((row) => row.name),
            ["oracle, ngram nm=4 (bound)", "oracle, ngram first nm=4 (bound)"], "an n-gram bound per shortest context of the ngram rows and of the bild rows (n-gram first by default)");
        // Replays: bild's defaults, and the fastest shipped rule in hindsight (defaults among those tried).
        const replays = rows.filter((row) => row.name.startsWith("replay, "));
        assert.deepEqual(replays.map((row) => row.bound), [true, true, true, true]);
        assert.deepEqual(replays.slice(0, 2).map((row) => row.name), ["replay, bild defaults", "replay, bild defaults with an adaptive run length"]);
        assert.match(replays[2]!.name, /^replay, best in hindsight: (run=|fb=|k=)/);
        assert.match(replays[3]!.name, /^replay, best in hindsight dr=ngram\+little: run=\S+ n=\d+ nm=\d+ nx=\d+$/);
        // The defaults' own settings are among those searched.
        assert.ok(replays[3]!.tokensPerSecond >= replays[0]!.tokensPerSecond, `${replays[3]!.name} vs the defaults`);
        const leaf = rows.find((row) => row.name === "oracle, run + one leaf (bound)");
        assert.ok(leaf!.bound && leaf!.exactMatchPct === 100);
        assert.equal(rows.filter((row) => row.best === "ours").length, 2, "the fastest lossless row of ours, greedy and sampled");
        // Agreeing within the top 2 merges runs; one more token in a batch costs less than one more call.
        assert.ok(tree!.tokensPerSecond >= oracle!.tokensPerSecond, `${tree!.name} ${tree!.tokensPerSecond} vs ${oracle!.tokensPerSecond}`);
        assert.equal(results.records.length, 4 * rows.length);
    });

    it("runs llama.cpp's own tools as rows beside ours: same output as big, speed-ups over native-big",
        {skip: !nativeToolsBuilt && `llama.cpp's tools are not built (npm run build:native)`}, async () => {
            const out = path.join(folder, "native");
            const run = await runCli([
                "bench", "--big", BUNDLED_PAIR.big, "--little", BUNDLED_PAIR.little, "--prompts", FIXTURE_PROMPTS,
                "--limit", "2", "--max-tokens", "16", "--modes", "bild", "native-big", "native-speculative", "--grid", "run-confidence=0.05", "--out", out
            ]);
            assert.equal(run.code, 0, run.stderr);
            const rows: (Row & {speedupOverNativeBig?: number, acceptancePct?: number, error?: string})[] =
                JSON.parse(await readFile(path.join(out, "results.json"), "utf8")).rows;
            const native = rows.filter((row) => row.mode.startsWith("native-"));
            assert.equal(native.length, 24, "big ×2, the draft model ×6, n-gram drafters ×4 alone and ×4 beside the draft model, each with flash attention on and off");
            assert.equal(native.filter((row) => row.best === "native").length, 1);
            for (const row of native) {
                assert.equal(row.error, undefined);
                assert.equal(row.exactMatchPct, 100, `${row.name} reproduces big`);
            }
            // An n-gram drafter alone may find nothing to draft in 2 × 16 tokens; the draft model always drafts.
            for (const row of native.filter((row) => row.mode === "native-speculative"))
                assert.ok(row.acceptancePct! >= 0 && row.acceptancePct! <= 100 && (row.acceptancePct! > 0 || !/ n=/.test(row.name)), `${row.name} ${row.acceptancePct}`);
            const fastestNativeBig = Math.max(...native.filter((row) => row.mode === "native-big").map((row) => row.tokensPerSecond));
            for (const row of rows.filter((row) => !row.bound))
                assert.ok(Math.abs(row.speedupOverNativeBig! - row.tokensPerSecond / fastestNativeBig) < 1e-9, row.name);
        });

    it("applies a repetition penalty to every row: lossless rows write the penalised big output (native-big too, when built); " +
        "--rounds runs the phases in turn and reports each round", async () => {
        const out = path.join(folder, "penalty");
        const modes = ["bild", "lookup", "peer", ...(nativeToolsBuilt ? ["native-big"] : [])];
        const run = await runCli([
            "bench", "--big", BUNDLED_PAIR.big, "--little", BUNDLED_PAIR.little, "--prompts", FIXTURE_PROMPTS, "--limit", "2", "--max-tokens", "24",
            "--modes", ...modes, "--grid", "run-confidence=0.05", "rollback-threshold=0", "lookup-ngram=2", "--repeat-penalty", "1.3", "--rounds", "2", "--out", out
        ]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^\| row \| tok\/s \| tok\/s by round \| speed-up/);
        const results = JSON.parse(await readFile(path.join(out, "results.json"), "utf8"));
        assert.deepEqual(results.settings.penalty, {repeatPenalty: 1.3});
        assert.equal(results.settings.rounds, 2);
        const rows: (Row & {settings: {repeatPenalty?: number, decoding?: {repeatPenalty?: number}}, roundTokensPerSecond?: number[]})[] = results.rows;
        assert.ok(!rows.some((row) => row.mode === "peer"), "node-llama-cpp's speculative decoding has no llama.cpp penalty: left out");
        for (const row of rows.filter((row) => !row.bound)) {
            assert.equal(row.settings.repeatPenalty ?? row.settings.decoding?.repeatPenalty, 1.3, row.name);
            assert.equal(row.exactMatchPct, 100, `${row.name} writes the penalised big output`);
            assert.equal(row.prompts, 2, row.name);
            assert.equal(row.roundTokensPerSecond?.length, 2, row.name);
            assert.ok(row.roundTokensPerSecond.every((speed) => speed > 0), row.name);
        }
        // Bounds are priced once, on the first round's big runs.
        for (const row of rows.filter((row) => row.bound))
            assert.equal(row.roundTokensPerSecond, undefined, row.name);
        // Every row ran each prompt once per round, in the order: llama.cpp's phase, ours; then ours, llama.cpp's.
        const rowsByName = new Map(rows.map((row) => [row.name, row]));
        const records: {row: string, round: number}[] = results.records.filter((record: {row: string}) => rowsByName.get(record.row)?.bound === false);
        const phaseOf = (record: {row: string, round: number}) => {
            const native = rowsByName.get(record.row)!.mode.startsWith("native-");
            const nativeFirst = record.round % 2 === 0;
            return 2 * record.round + (native === nativeFirst ? 0 : 1);
        };
        for (let i = 1; i < records.length; i++)
            assert.ok(phaseOf(records[i - 1]!) <= phaseOf(records[i]!), `${records[i]!.row} round ${records[i]!.round} ran after ${records[i - 1]!.row} round ${records[i - 1]!.round}`);
        for (const row of rows.filter((row) => !row.bound))
            assert.deepEqual(records.filter((record) => record.row === row.name).map((record) => record.round), [0, 0, 1, 1], row.name);
    });

    it("names the line of a malformed prompt file and exits with code 2", async () => {
        const prompts = path.join(folder, "bad.jsonl");
        await writeFile(prompts, '{"id": "a", "prompt": "p", "reference": "r"}\n{"id": "b", "prompt": 3, "reference": "r"}\n');
        const run = await runCli(["bench", "--big", BUNDLED_PAIR.big, "--little", BUNDLED_PAIR.little, "--prompts", prompts]);
        assert.equal(run.code, 2);
        assert.match(run.stderr.trim(), /^bild: error: .*bad\.jsonl line 2: "prompt" must be a string$/);
    });
});
