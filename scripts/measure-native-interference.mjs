#!/usr/bin/env node
// `npm run measure:interference`: our big model alone (96 greedy tokens of the first Python dev prompt,
// big padded ×2, 2 threads) in one process, timed alone, right after llama.cpp's `llama-completion`
// ran the same generation in another process, after as long idle, and after a warm-up call that
// follows a native run: whether a native run slows the in-process runs that follow it (the bench
// interleaves both). Needs `npm run build:native` and the padded model of `npm run bench:realistic`.
import {execFileSync} from "node:child_process";
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
const native = () => execFileSync(completion, ["-m", big, "-p", prompt, "--no-escape", "-n", "96", "-c", "512", "-t", "2", "-fa", "off", "-no-cnv", "--temp", "0"], {stdio: "ignore"});
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
} finally {
    await decoder[Symbol.asyncDispose]();
    await pair[Symbol.asyncDispose]();
}
