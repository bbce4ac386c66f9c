#!/usr/bin/env node
// `npm run bench:realistic`: the bench on the shared Python pair (../shared/models/README.md) with
// its big model padded ×2 and ×4 (identical logits, the per-token cost of a 63M / 239M-parameter
// model), and ×2 once more with py-little-aligned (the paper's prediction alignment), each in three
// regimes: greedy (which loops on this pair), greedy with llama.cpp's repeat penalty 1.2 over the
// last 64 tokens (which does not), and sampled (temperature 0.7, top-p 0.95, fixed seed). Every run
// includes llama.cpp's own tools when `npm run build:native` has built them, n-gram drafters
// included, and (greedy) node-llama-cpp's speculative decoding. Padded copies are built once into
// .cache/padded/; results go to bench-out/py-<variant>-<regime>/.
// Environment: BENCH_LIMIT (prompts, default 10), BENCH_MAX_TOKENS (default 128), BENCH_BIG_THREADS
// (default 2: the big model's batched checks gain from both cores; the little model stays on 1),
// BENCH_VARIANTS (some of x2,x4,x2-aligned; default all), BENCH_REGIMES (some of
// greedy,penalty,sampled; default all), BENCH_GRID (the --grid values, space-separated).
import {execFileSync} from "node:child_process";
import {existsSync, mkdirSync} from "node:fs";
import {fileURLToPath} from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/", import.meta.url));
const cache = `${root}.cache/padded`;
const limit = process.env.BENCH_LIMIT ?? "10";
const maxTokens = process.env.BENCH_MAX_TOKENS ?? "128";
const bigThreads = process.env.BENCH_BIG_THREADS ?? "2";
const grid = process.env.BENCH_GRID?.split(" ") ??
    ["run-confidence=0.02,0.05", "rollback-threshold=0,2", "draft-tokens=4,8", "lookup-ngram=2,3", "drafters=little,ngram+little,lookup+little"];
const variants = [
    {name: "x2", width: 2, little: "py-little.gguf"},
    {name: "x4", width: 4, little: "py-little.gguf"},
    {name: "x2-aligned", width: 2, little: "py-little-aligned.gguf"}
];
const regimes = [
    {name: "greedy", flags: []},
    {name: "penalty", flags: ["--repeat-penalty", "1.2", "--repeat-last-n", "64"]},
    {name: "sampled", flags: ["--temperature", "0.7", "--top-p", "0.95"]}
];

const chosen = process.env.BENCH_VARIANTS?.split(",") ?? variants.map((variant) => variant.name);
const chosenRegimes = process.env.BENCH_REGIMES?.split(",") ?? regimes.map((regime) => regime.name);
mkdirSync(cache, {recursive: true});
for (const variant of variants.filter((variant) => chosen.includes(variant.name))) {
    const padded = `${cache}/py-big-x${variant.width}.gguf`;
    if (!existsSync(padded))
        execFileSync(process.execPath, [`${shared}models/tools/pad-gguf.mjs`, `${shared}models/py-big.gguf`, padded, "--width", String(variant.width)], {stdio: "inherit"});
    for (const regime of regimes.filter((regime) => chosenRegimes.includes(regime.name))) {
        process.stderr.write(`\n== py pair, big ×${variant.width}, ${variant.little}, ${regime.name}\n`);
        execFileSync(process.execPath, [
            `${root}dist/src/cli/main.cjs`, "bench",
            "--big", padded, "--little", `${shared}models/${variant.little}`, "--big-threads", bigThreads, "--little-threads", "1",
            "--prompts", `${shared}eval/py-dev-prompts.jsonl`, "--limit", limit, "--max-tokens", maxTokens,
            "--grid", ...grid, ...regime.flags,
            "--out", `${root}bench-out/py-${variant.name}-${regime.name}`
        ], {stdio: "inherit"});
    }
}
