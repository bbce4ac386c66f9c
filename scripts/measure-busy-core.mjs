#!/usr/bin/env node
// `npm run measure:busy-core -- [BIG.gguf] [LITTLE.gguf]`: tokens/s of the big model alone and of
// default BiLD, through bild and through llama.cpp's own `llama-completion` (`npm run build:native`
// first), on 1 thread and on the default (the physical cores), with the machine idle and with one
// core kept busy by another process (a spinning Node process). Medians of REPEATS (default 3) runs
// of 128 greedy tokens after a 281-token Python prompt, prompt included. Answers: does a
// multi-threaded model collapse when a core is taken, and does ours collapse where native does not?
import {execFile, spawn} from "node:child_process";
import {existsSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {fileURLToPath} from "node:url";
import {getEngineLlama} from "../dist/src/engine/getEngineLlama.js";
import {median, pythonPrompt} from "./measureSupport.mjs";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const [big = path.join(root, "models/py-big.gguf"), little = path.join(root, "models/py-little.gguf")] = process.argv.slice(2);
const REPEATS = Number(process.env.REPEATS ?? 3);
const TOKENS = 128;
const prompt = pythonPrompt(8);
const completion = path.join(root, ".cache/native/llama.cpp/build/bin/llama-completion");
const run = promisify(execFile);
const cores = (await getEngineLlama()).cpuMathCores;

async function ours(mode, threads) {
    const {stdout} = await run(process.execPath, [path.join(root, "dist/src/cli/main.cjs"), "generate", "--big", big, "--little", little,
        "--mode", mode, "--big-threads", String(threads), "--prompt", prompt, "--max-tokens", String(TOKENS), "--json"], {maxBuffer: 1 << 24});
    const {stats} = JSON.parse(stdout);
    return stats.generatedTokens / (stats.totalMs / 1000);
}

async function native(threads) {
    const {stderr} = await run(completion, ["-m", big, "-p", prompt, "-n", String(TOKENS), "-t", String(threads), "--temp", "0", "-c", "512",
        "-fa", "off", "-no-cnv", "--no-display-prompt", "--simple-io", "--ignore-eos"], {maxBuffer: 1 << 24});
    const promptMs = Number(/prompt eval time =\s*([\d.]+) ms/.exec(stderr)[1]);
    const [, evalMs, runs] = /(?<!prompt )eval time =\s*([\d.]+) ms \/\s*(\d+) runs/.exec(stderr);
    return (Number(runs) + 1) / ((promptMs + Number(evalMs)) / 1000);
}

const rows = [
    ["bild, big alone", (threads) => ours("big", threads)],
    ["bild, default BiLD", (threads) => ours("bild", threads)],
    ...existsSync(completion) ? [["llama.cpp llama-completion", native]] : []
];
const results = [];
for (const busy of [false, true]) {
    const spinner = busy ? spawn(process.execPath, ["-e", "for (;;) {}"], {stdio: "ignore"}) : undefined;
    try {
        for (const [name, measure] of rows)
            for (const threads of [...new Set([1, cores])]) {
                const samples = [];
                for (let i = 0; i < REPEATS; i++)
                    samples.push(await measure(threads));
                results.push({busy, name, threads, tokensPerSecond: median(samples)});
                process.stderr.write(`${busy ? "one core busy" : "idle"}  ${name}, ${threads} thread(s): ${median(samples).toFixed(1)} tok/s (${samples.map((s) => s.toFixed(0)).join(", ")})\n`);
            }
    } finally {
        spinner?.kill();
    }
}
console.log(`| row | threads | idle | one core busy | busy / idle |\n| --- | ---: | ---: | ---: | ---: |`);
for (const {name, threads, tokensPerSecond} of results.filter((result) => !result.busy)) {
    const busy = results.find((result) => result.busy && result.name === name && result.threads === threads).tokensPerSecond;
    console.log(`| ${name} | ${threads} | ${tokensPerSecond.toFixed(1)} | ${busy.toFixed(1)} | ${(busy / tokensPerSecond).toFixed(2)} |`);
}
