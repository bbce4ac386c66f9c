import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {mkdtemp, rm, writeFile, copyFile, truncate} from "node:fs/promises";
import {availableParallelism, tmpdir} from "node:os";
import path from "node:path";
import {BUNDLED_PAIR} from "../support/fixtures.js";
import {getEngineLlama} from "../../src/engine/getEngineLlama.js";
import {assertUsageError, CLI, CLI_ENV, runCli, withoutTimingLine} from "../support/runCli.js";


const PAIR_ARGS = ["generate", "--big", BUNDLED_PAIR.big, "--little", BUNDLED_PAIR.little];

describe("bild generate (CLI, real models)", () => {
    let folder: string;
    before(async () => {
        folder = await mkdtemp(path.join(tmpdir(), "bild-cli-"));
    });
    after(async () => {
        await rm(folder, {recursive: true, force: true});
    });

    it("prints one JSON object with text, tokens, origins and stats", async () => {
        const run = await runCli([...PAIR_ARGS, "--prompt", "def add(a, b):", "--max-tokens", "24", "--json", "--rollback-threshold", "0"]);
        assert.equal(run.code, 0, run.stderr);
        const output = JSON.parse(run.stdout);
        assert.equal(typeof output.text, "string");
        assert.equal(output.tokens.length, 24);
        assert.equal(output.origins.length, 24);
        assert.ok(output.origins.every((origin: string) => ["little", "ngram", "big", "correction"].includes(origin)));
        assert.equal(output.stats.generatedTokens, 24);
        assert.equal(output.stats.draftAccepted + output.stats.bigTokens, 24);

        const big = JSON.parse((await runCli([...PAIR_ARGS, "--prompt", "def add(a, b):", "--max-tokens", "24", "--json", "--mode", "big"])).stdout);
        assert.deepEqual(output.tokens, big.tokens, "--rollback-threshold 0 reproduces --mode big");
    });

    it("--compare decodes with the big model alone too and reports identity, little share and speed", async () => {
        const prompt = "class Stack:\n    def push(self, item):";
        const run = await runCli([...PAIR_ARGS, "--prompt", prompt, "--max-tokens", "32", "--compare"]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(withoutTimingLine(run.stderr).trim(), /^bild: 32 tokens, \d+ \(\d+ %\) drafted( by the little model| \(\w+ \d+(, \w+ \d+)*\))?; the big model ran \d+ times for 32 tokens; output identical to --mode big; \d+\.\d\d× the speed of the big model alone \(\d+ vs \d+ tok\/s, measured in this process\)$/);

        const json = async (args: string[]) => JSON.parse((await runCli([...PAIR_ARGS, "--prompt", prompt, "--max-tokens", "32", "--json", ...args])).stdout);
        const big = await json(["--mode", "big"]);
        const lossless = await json(["--compare"]);
        assert.deepEqual(lossless.tokens, big.tokens);
        assert.equal(lossless.comparison.identical, true);
        assert.ok(lossless.comparison.speedup > 0 && lossless.stats.draftAccepted > 0);
        // The little model alone (never falling back, never rolled back) writes something else here.
        const little = await json(["--compare", "--fallback-threshold", "0", "--max-little-tokens", "inf", "--rollback-threshold", "inf"]);
        const firstDifference = little.tokens.findIndex((token: number, i: number) => token !== big.tokens[i]);
        assert.ok(firstDifference >= 0, "the little model's output differs from the big model's on this prompt");
        assert.equal(little.comparison.identical, false);
        assert.equal(little.comparison.firstDifference, firstDifference);
        assertUsageError(await runCli([...PAIR_ARGS, "--prompt", prompt, "--mode", "big", "--compare"]), /--compare measures a mode against --mode big/);
    });

    it("samples with --temperature/--top-p/--top-k/--min-p: the same --seed repeats the text, another seed changes it", async () => {
        const sample = async (seed: string) => JSON.parse((await runCli([...PAIR_ARGS, "--prompt", "def add(a, b):", "--max-tokens", "24",
            "--json", "--strict", "--temperature", "0.9", "--top-p", "0.95", "--top-k", "50", "--min-p", "0.01", "--seed", seed])).stdout) as {text: string, seed: number};
        const first = await sample("3");
        assert.equal(first.seed, 3);
        assert.equal((await sample("3")).text, first.text);
        assert.notEqual((await sample("4")).text, first.text);
    });

    it("reads the prompt from standard input and streams the same text as --json reports", async () => {
        const prompt = "values = [1, 2, 3]\nfor value in values:";
        const piped = await runCli([...PAIR_ARGS, "--max-tokens", "32"], prompt);
        const json = JSON.parse((await runCli([...PAIR_ARGS, "--max-tokens", "32", "--json", "--prompt", prompt])).stdout);
        assert.equal(piped.code, 0, piped.stderr);
        assert.equal(piped.stdout, json.text + "\n");
    });

    it("uses the bundled pair without --big/--little, prints stats on request and no colour when not a terminal", async () => {
        const run = await runCli(["generate", "--prompt", "import os\nimport", "--max-tokens", "8", "--stats", "--color"]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /tokens: 8 generated/);
        assert.match(run.stderr, /big: \d+ calls/);
        assert.doesNotMatch(run.stdout, /\u001b\[/);
    });

    it("stops on Ctrl-C with exit code 130, keeping the text streamed so far", async () => {
        const child = spawn(process.execPath, [CLI, ...PAIR_ARGS, "--prompt", "def f():", "--max-tokens", "400", "--mode", "big"],
            {stdio: ["ignore", "pipe", "pipe"], env: CLI_ENV});
        let stdout = "";
        let stderr = "";
        child.stderr.on("data", (chunk) => stderr += chunk);
        const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
        await new Promise<void>((resolve) => child.stdout.once("data", (chunk) => {
            stdout += chunk;
            child.kill("SIGINT");
            resolve();
        }));
        child.stdout.on("data", (chunk) => stdout += chunk);
        assert.equal(await exit, 130);
        assert.equal(stderr.trim(), "bild: interrupted");
        assert.ok(stdout.length > 0);
    });

    // A hang guard, not a speed check: the crafted header used to make the reader run without end.
    it("rejects a missing file, a directory, a non-GGUF file, truncated and crafted GGUF files", {timeout: 120_000}, async () => {
        const notGguf = path.join(folder, "notes.gguf");
        await writeFile(notGguf, "this is not a model\n");
        const cut = path.join(folder, "cut.gguf");
        await copyFile(BUNDLED_PAIR.big, cut);
        await truncate(cut, 64);
        const metadataCut = path.join(folder, "metadata-cut.gguf");
        await copyFile(BUNDLED_PAIR.big, metadataCut);
        await truncate(metadataCut, 5000);
        // 88 bytes whose header declares 2^62 tensors and 2^62 metadata entries.
        const crafted = path.join(folder, "crafted.gguf");
        const counts = Buffer.alloc(16);
        counts.writeBigUInt64LE(2n ** 62n, 0);
        counts.writeBigUInt64LE(2n ** 62n, 8);
        await writeFile(crafted, Buffer.concat([Buffer.from("GGUF"), Buffer.from([3, 0, 0, 0]), counts, Buffer.alloc(64)]));
        const headerOnly = path.join(folder, "header-only.gguf");
        await copyFile(BUNDLED_PAIR.big, headerOnly);
        await truncate(headerOnly, 1_000_000);
        assertUsageError(await runCli(["generate", "--prompt", "x", "--big", path.join(folder, "missing.gguf")]), /big model file not found: .*missing\.gguf/);
        assertUsageError(await runCli(["generate", "--prompt", "x", "--little", folder]), /little model path is a directory/);
        assertUsageError(await runCli(["generate", "--prompt", "x", "--big", notGguf]), /big model file is not a GGUF file: .*notes\.gguf/);
        assertUsageError(await runCli(["generate", "--prompt", "x", "--big", cut]), /big model file is truncated or corrupt: .*cut\.gguf declares \d+ tensors and \d+ metadata entries, more than its 64 bytes can hold/);
        assertUsageError(await runCli(["generate", "--prompt", "x", "--big", metadataCut]), /metadata-cut\.gguf is truncated: its metadata alone takes \d+ bytes, the file has 5000/);
        assertUsageError(await runCli(["generate", "--prompt", "x", "--big", crafted]),
            /crafted\.gguf declares 4611686018427387904 tensors and 4611686018427387904 metadata entries, more than its 88 bytes can hold/);
        assertUsageError(await runCli(["generate", "--prompt", "x", "--big", headerOnly]), /llama\.cpp cannot load .*header-only\.gguf/);
    });

    it("rejects out-of-range thresholds and non-positive counts", async () => {
        const cases: [string[], RegExp][] = [
            [["--fallback-threshold", "-0.5"], /--fallback-threshold <p>.*'-0.5' is invalid. expected a number ≥ 0\./],
            [["--fallback-threshold", "often"], /--fallback-threshold.*'often' is invalid/],
            [["--rollback-threshold", "-1"], /--rollback-threshold.*invalid. expected a number ≥ 0 or inf/],
            [["--max-little-tokens", "0"], /--max-little-tokens.*invalid. expected an integer from 1 to 64 or inf/],
            [["--max-tokens", "0"], /--max-tokens.*invalid. expected an integer ≥ 1/],
            [["--max-tokens", "-3"], /--max-tokens.*invalid/],
            [["--mode", "speculative", "--draft-tokens", "1.5"], /--draft-tokens.*invalid/],
            [["--threads", "0"], /--threads.*invalid/],
            [["--mode", "turbo"], /--mode.*Allowed choices are big, little, speculative, bild, lookup/],
            [["--temperature", "-0.1"], /--temperature.*invalid. expected a number from 0 to 2/],
            [["--temperature", "1", "--top-p", "1.5"], /--top-p.*invalid. expected a number > 0 and ≤ 1/],
            [["--top-k", "-2"], /--top-k.*invalid/],
            [["--temperature", "1", "--min-p", "3"], /--min-p.*invalid/],
            [["--seed", "4294967296"], /--seed.*invalid. expected an integer from 0 to 4294967295/],
            [["--strict", "--rollback-threshold", "2"], /strict and rollbackThreshold are two verification rules: give one of them, not both/],
            [["--fallback-threshold", "0.6", "--run-confidence", "0.1"], /runConfidence and fallbackThreshold are two drafting rules/],
            [["--strict", "--mode", "little"], /strict applies to bild mode, not to little: drop it or change the mode/],
            [["--mode", "speculative", "--run-confidence", "0.5"], /runConfidence applies to bild mode, not to speculative/],
            [["--time-limit", "0"], /--time-limit <s>.*'0' is invalid. expected a number > 0 or inf/]
        ];
        for (const [args, pattern] of cases)
            assertUsageError(await runCli(["generate", "--prompt", "x", ...args]), pattern);
    });

    it("warns once about more threads than cores and a context longer than the models were trained on", async () => {
        const run = await runCli([...PAIR_ARGS, "--prompt", "def f():", "--mode", "big", "--max-tokens", "2",
            "--little-threads", String(availableParallelism() + 1), "--context-size", "600"]);
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(withoutTimingLine(run.stderr).trim().split("\n"), [
            `bild: warning: --little-threads ${availableParallelism() + 1} is more than this machine's ${availableParallelism()} cores: ` +
            `llama.cpp's threads then wait on each other and decoding can be 100× slower (use at most ${availableParallelism()})`,
            "bild: warning: --context-size 600 is above what py-big.gguf (512 tokens) and py-little.gguf (512 tokens) was trained on: output degrades past that"
        ]);
    });

    it("warns when other processes keep the cores the big model's threads need busy", {skip: process.platform !== "linux" || availableParallelism() < 2}, async () => {
        const args = [...PAIR_ARGS, "--prompt", "def f():", "--mode", "big", "--max-tokens", "2"];
        const warning = /bild: warning: other processes keep \d\.\d of this machine's \d+ cores busy: the big model's \d+ threads then wait on each other/;
        // Spinners on all but one core leave the big model's default (every core) short of cores.
        const spinners = Array.from({length: availableParallelism() - 1}, () => spawn(process.execPath, ["-e", "for (;;) {}"], {stdio: "ignore"}));
        try {
            await new Promise((resolve) => setTimeout(resolve, 300));
            const checked = {...process.env, BILD_CPU_CHECK: "on"};
            const busy = await runCli(args, "", checked);
            assert.equal(busy.code, 0, busy.stderr);
            assert.match(busy.stderr, warning);
            // Asked for one thread, it has all it needs: no warning.
            assert.doesNotMatch((await runCli([...args, "--big-threads", "1"], "", checked)).stderr, warning);
        } finally {
            spinners.forEach((spinner) => spinner.kill());
        }
    });

    it("runs llama.cpp on one libuv worker unless the user chose a pool size, and warns about threads on several", async () => {
        const {UV_THREADPOOL_SIZE: _, ...unset} = CLI_ENV;
        const help = await runCli(["generate", "--help"], "", unset);
        assert.match(help.stdout.replace(/\s+/g, " "), /--big-threads <n> CPU threads of the big model \(default: --threads, else the physical cores, as llama\.cpp's tools use\)/);
        const engineOf = async (env: NodeJS.ProcessEnv) =>
            JSON.parse((await runCli([...PAIR_ARGS, "--prompt", "def f():", "--mode", "big", "--max-tokens", "2", "--json"], "", env)).stdout).engine;
        const {flashAttention, ...engine} = await engineOf(unset);
        assert.deepEqual(engine, {gpu: false, bigThreads: (await getEngineLlama()).cpuMathCores, littleThreads: 1, contextSize: 512});
        assert.deepEqual([flashAttention.big.by, flashAttention.little.by].map((by: string) => ["measured", "cache"].includes(by)), [true, true]);
        const several = {...unset, UV_THREADPOOL_SIZE: "4"};
        assert.equal((await engineOf(several)).bigThreads, 1);
        const run = await runCli([...PAIR_ARGS, "--prompt", "def f():", "--mode", "big", "--max-tokens", "2", "--big-threads", "2"], "", several);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /\[BILD_WORKER_POOL\] Warning: a model runs on more than one thread while libuv's worker pool has several workers: .*start Node with UV_THREADPOOL_SIZE=1/);
    });

    it("rejects a prompt longer than the context, and an empty standard input", async () => {
        assertUsageError(await runCli(["generate", "--prompt", Array.from({length: 40}, (_, i) => `x${i} = ${i}`).join("\n"), "--context-size", "64", "--max-tokens", "8"]),
            /the prompt \(\d+ tokens\) plus max tokens \(8\) exceed the context size \(\d+\)/);
        assertUsageError(await runCli(["generate"], ""), /standard input was empty/);
    });
});
