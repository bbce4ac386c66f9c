#!/usr/bin/env node
// `node scripts/measure-peers.mjs` (after `npm run build` and `npm run build:native`): the bundled
// pair as is, 6 test prompts × 96 greedy tokens, tokens/s end to end per row, beside llama.cpp's
// own tools from the same release: big alone, its n-gram drafters (ngram-simple, ngram-mod), its
// draft model, and both together; ours: big alone, lookup drafting, default BiLD. Each run is a
// fresh process per prompt; native tools are rerun (up to 3 times) when a timing line is missing.
import {execFileSync, spawnSync} from "node:child_process";
import {readFileSync} from "node:fs";

const BIN = ".cache/native/llama.cpp/build/bin/";
const TOKENS = 96;
const prompts = readFileSync("test/fixtures/py-prompts.jsonl", "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line).prompt).slice(0, 6);
const common = (prompt) => ["-m", "models/py-big.gguf", "-p", prompt, "-n", String(TOKENS), "-t", "2", "--temp", "0", "-c", "512", "-fa", "off"];
const withDraft = ["-md", "models/py-little.gguf", "-td", "1", "--spec-draft-n-max", "3", "--spec-draft-p-min", "0"];

function nativeOnce(tool, extra, prompt) {
    const log = spawnSync(BIN + tool, [...common(prompt), ...extra], {encoding: "utf8", maxBuffer: 1 << 26}).stderr;
    const number = (pattern) => Number(pattern.exec(log)[1]);
    if (tool === "llama-completion") {
        const evalRun = /(?<!prompt )eval time =\s*([\d.]+) ms \/\s*(\d+) runs/.exec(log);
        return {tokens: Number(evalRun[2]) + 1, ms: number(/prompt eval time =\s*([\d.]+) ms/) + Number(evalRun[1])};
    }
    return {
        tokens: number(/decoded\s+(\d+) tokens in/),
        ms: 1000 * (number(/encoded\s+\d+ tokens in\s+([\d.]+) seconds/) + number(/decoded\s+\d+ tokens in\s+([\d.]+) seconds/)),
        drafted: number(/n_drafted\s+=\s+(\d+)/), kept: number(/n_accept\s+=\s+(\d+)/)
    };
}

function native(tool, extra) {
    return (prompt) => {
        for (let attempt = 1; ; attempt++)
            try {
                return nativeOnce(tool, extra, prompt);
            } catch (error) {
                if (attempt === 3)
                    throw error;
            }
    };
}

const ours = (args) => (prompt) => {
    const output = execFileSync(process.execPath, ["dist/src/cli/main.cjs", "generate", "--prompt", prompt, "--max-tokens", String(TOKENS), "--json", ...args],
        {encoding: "utf8", maxBuffer: 1 << 26, env: {...process.env, BILD_CPU_CHECK: "off"}});
    const {stats} = JSON.parse(output);
    return {tokens: stats.generatedTokens, ms: stats.totalMs, drafted: stats.draftProposed, kept: stats.draftAccepted};
};

const rows = [
    ["native llama-completion (big alone)", native("llama-completion", ["-no-cnv", "--no-display-prompt", "--simple-io"])],
    ["native --spec-type ngram-simple", native("llama-speculative-simple", ["--spec-type", "ngram-simple"])],
    ["native --spec-type ngram-mod", native("llama-speculative-simple", ["--spec-type", "ngram-mod"])],
    ["native --spec-type draft-simple, n-max 3", native("llama-speculative-simple", ["--spec-type", "draft-simple", ...withDraft])],
    ["native --spec-type ngram-mod,draft-simple, n-max 3", native("llama-speculative-simple", ["--spec-type", "ngram-mod,draft-simple", ...withDraft])],
    ["bild, big alone", ours(["--mode", "big"])],
    ["bild --mode lookup (n 3, k 4)", ours(["--mode", "lookup"])],
    ["bild --mode lookup --lookup-ngram 2 --draft-tokens 8", ours(["--mode", "lookup", "--lookup-ngram", "2", "--draft-tokens", "8"])],
    ["bild, default BiLD", ours([])]
];
console.log("| row | tok/s | drafted / kept |\n| --- | ---: | ---: |");
for (const [name, measure] of rows) {
    let tokens = 0, ms = 0, drafted = 0, kept = 0;
    for (const prompt of prompts) {
        const run = measure(prompt);
        tokens += run.tokens;
        ms += run.ms;
        drafted += run.drafted ?? 0;
        kept += run.kept ?? 0;
    }
    console.log(`| ${name} | ${(tokens / (ms / 1000)).toFixed(1)} | ${drafted > 0 ? `${drafted} / ${kept}` : "—"} |`);
}
