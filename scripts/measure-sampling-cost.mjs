#!/usr/bin/env node
// `npm run measure:sampling`: what reading one position's next-token distribution costs, greedy
// versus sampled (raw logits → TokenDistribution), at the bundled 4096-token vocabulary and at
// 152 064 tokens (Qwen2.5's), using copies of the code pair padded by scripts/pad-vocab.mjs into
// .cache/vocab/. Per position = (a 32-token call reading 32 positions − the same call reading 1) / 31,
// median of REPEATS; the distribution is built with temperature 0.8, top-p 0.95 and the given top-k.
import {execFileSync} from "node:child_process";
import {existsSync, mkdirSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {ModelPair, TokenDistribution} from "../dist/src/index.js";
import {median} from "./measureSupport.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/models/", import.meta.url));
const cache = `${root}.cache/vocab`;
const REPEATS = Number(process.env.REPEATS ?? 15);
const POSITIONS = 32;

mkdirSync(cache, {recursive: true});
const padded = (name) => {
    const out = `${cache}/${name.replace(".gguf", "-152k.gguf")}`;
    if (!existsSync(out))
        execFileSync(process.execPath, [`${root}scripts/pad-vocab.mjs`, `${shared}${name}`, out, "--vocab", "152064"], {stdio: "inherit"});
    return out;
};

const variants = [
    ["4 096", {big: `${shared}code-big.gguf`, little: `${shared}code-little.gguf`}],
    ["152 064", {big: padded("code-big.gguf"), little: padded("code-little.gguf")}]
];
console.log("| vocabulary | model | greedy read | sampled, top-k 0 (read + adjust) | sampled, top-k 40 (read + adjust) | 1-token call |");
console.log("| ---: | --- | ---: | ---: | ---: | ---: |");
for (const [label, files] of variants) {
    const pair = await ModelPair.load(files, {sequences: 1});
    for (const role of ["little", "big"]) {
        const sequence = pair[role].createSequence();
        const tokens = Array.from({length: POSITIONS + 8}, (_, i) => 300 + i);
        const time = async (read) => {
            const samples = [];
            for (let repeat = 0; repeat < REPEATS; repeat++) {
                await sequence.truncate(8);
                const start = performance.now();
                await read();
                samples.push(performance.now() - start);
            }
            return median(samples);
        };
        await sequence.evaluate(tokens.slice(0, 8), 1);
        const batch = tokens.slice(8);
        const settings = (topK) => ({temperature: 0.8, topP: 0.95, topK, minP: 0});
        const sampled = (outputs, topK) => async () => {
            for (const logits of await sequence.evaluateLogits(batch, outputs, topK))
                TokenDistribution.fromLogits(logits, settings(topK)).sample(0.5);
        };
        const perPosition = async (read) => ((await time(read(POSITIONS))) - (await time(read(1)))) / (POSITIONS - 1);
        const greedy = await perPosition((outputs) => () => sequence.evaluate(batch, outputs));
        const full = await perPosition((outputs) => sampled(outputs, 0));
        const top = await perPosition((outputs) => sampled(outputs, 40));
        await sequence.truncate(8);
        const single = await time(() => sequence.evaluate([301], 1));
        console.log(`| ${label} | ${role} | ${greedy.toFixed(3)} ms | ${full.toFixed(3)} ms | ${top.toFixed(3)} ms | ${single.toFixed(2)} ms |`);
        await sequence[Symbol.asyncDispose]();
    }
    await pair[Symbol.asyncDispose]();
}
