#!/usr/bin/env node
// `npm run measure:interference`: our big model alone (96 greedy tokens of the first Python dev prompt,
// big padded ×2, 2 threads) in one process, timed alone, right after llama.cpp's `llama-completion`
// ran the same generation in another process, after as long idle, and after a warm-up call that
// follows a native run: whether a native run slows the in-process runs that follow it (the bench
// interleaves both); and llama.cpp's own decode rate after one of its runs and after one of ours. Needs `npm run build:native` and the padded model of `npm run bench:realistic`.
import {spawnSync} from "node:child_process";
import {existsSync, readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {Decoder, ModelPair} from "../dist/src/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const big = `${root}.cache/padded/py-big-x2.gguf`;
const little = `${root}../shared/models/py-little.gguf`;
const completion = `${root}.cache/native/llama.cpp/build/bin/llama-completion`;
for (const file of [big, little, completion])
    if (!existsSync(file)) {
        process.stderr.write(`measure:interference: ${file} is missing: run npm run build:native and npm run bench:realistic (BENCH_VARIANTS=x2) first\n`);
        process.exit(2);
    }
const prompt = JSON.parse(readFileSync(`${root}../shared/eval/py-dev-prompts.jsonl`, "utf8").split("\n")[0]).prompt;
const pair = await ModelPair.load({big, little}, {big: {threads: 2}, little: {threads: 1}, flashAttention: false});
const decoder = Decoder.fromPair(pair);
const rate = async () => {
    await decoder.clearCache();
    const {stats} = await decoder.generate(prompt, {mode: "big", maxTokens: 96});
    return stats.generatedTokens / (stats.totalMs / 1000);
};
/** Runs llama-completion; returns its own decode rate (its log's eval time, load excluded). */
const native = () => {
    const log = spawnSync(completion, ["-m", big, "-p", prompt, "--no-escape", "-n", "96", "-c", "512", "-t", "2", "-fa", "off", "-no-cnv", "--temp", "0"],
        {stdio: ["ignore", "ignore", "pipe"], encoding: "utf8"}).stderr;
    const match = /(?<!prompt )eval time =\s*([\d.]+) ms \/\s*(\d+) runs/.exec(log);
    return match == null ? Number.NaN : Number(match[2]) / (Number(match[1]) / 1000);
};
const report = (label, rates) => console.log(`${label}: ${rates.map((r) => r.toFixed(1)).join(" ")} tok/s`);
const series = async (label, before) => {
    const rates = [];
    for (let i = 0; i < 4; i++) {
        await before();
        rates.push(await rate());
    }
    report(label, rates);
};
try {
    await rate();
    await series("alone, back to back", async () => {});
    await series("right after a native run", async () => native());
    await series("after 1.5 s idle", () => new Promise((resolve) => setTimeout(resolve, 1500)));
    await series("after a native run and a 4-token warm-up", async () => {
        native();
        await decoder.generate(prompt, {mode: "big", maxTokens: 4});
    });
    // The other way round: llama.cpp's own decode rate after a native run, and right after one of ours.
    const nativeAfterNative = [];
    const nativeAfterOurs = [];
    for (let i = 0; i < 4; i++) {
        native();
        nativeAfterNative.push(native());
        await rate();
        nativeAfterOurs.push(native());
    }
    report("llama-completion decode, right after another native run", nativeAfterNative);
    report("llama-completion decode, right after one of ours", nativeAfterOurs);
} finally {
    await decoder[Symbol.asyncDispose]();
    await pair[Symbol.asyncDispose]();
}
