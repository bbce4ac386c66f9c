#!/usr/bin/env node
// `npm run bench:realistic`: the bench on the shared pairs, with the big models padded (identical
// logits, see ../shared/models/README.md: the Python pair ×2, a 63M-parameter cost; the older JS code
// and prose pairs ×4, 130M) and plain. Padded copies are built once into .cache/padded/. Results go
// to bench-out/<pair>-<variant>/.
// Environment: BENCH_LIMIT (prompts per pair, default 10), BENCH_MAX_TOKENS (default 128),
// BENCH_BIG_THREADS (padded big model's threads, default 2: its batches run ≈2× faster with both
// cores while single tokens cost the same; the tiny models stay on 1 thread, where 2 threads are
// ≈7× slower).
import {execFileSync} from "node:child_process";
import {existsSync, mkdirSync} from "node:fs";
import {fileURLToPath} from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/", import.meta.url));
const cache = `${root}.cache/padded`;
const limit = process.env.BENCH_LIMIT ?? "10";
const maxTokens = process.env.BENCH_MAX_TOKENS ?? "128";
const bigThreads = process.env.BENCH_BIG_THREADS ?? "2";
const pairs = [
    {name: "py", big: "py-big.gguf", little: "py-little.gguf", prompts: "py-dev-prompts.jsonl", width: 2},
    {name: "code", big: "code-big.gguf", little: "code-little.gguf", prompts: "code-dev-prompts.jsonl", width: 4},
    {name: "prose", big: "big.gguf", little: "little.gguf", prompts: "dev-prompts.jsonl", width: 4}
];

mkdirSync(cache, {recursive: true});
for (const pair of pairs) {
    const padded = `${cache}/${pair.big.replace(".gguf", `-x${pair.width}.gguf`)}`;
    if (!existsSync(padded))
        execFileSync(process.execPath, [`${shared}models/tools/pad-gguf.mjs`, `${shared}models/${pair.big}`, padded, "--width", String(pair.width)], {stdio: "inherit"});
    for (const [variant, big, threads] of [["padded", padded, bigThreads], ["plain", `${shared}models/${pair.big}`, "1"]]) {
        process.stderr.write(`\n== ${pair.name} pair, ${variant} big model\n`);
        execFileSync(process.execPath, [
            `${root}dist/src/cli/main.cjs`, "bench",
            "--big", big, "--little", `${shared}models/${pair.little}`, "--big-threads", threads,
            "--prompts", `${shared}eval/${pair.prompts}`, "--limit", limit, "--max-tokens", maxTokens,
            "--grid", "fallback-threshold=0.1,0.2,0.4,0.6", "run-confidence=0.02,0.05,0.1", "rollback-threshold=0,2,5", "draft-tokens=2,4,8",
            "--out", `${root}bench-out/${pair.name}-${variant}`
        ], {stdio: "inherit"});
    }
}
