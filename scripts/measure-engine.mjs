#!/usr/bin/env node
// `npm run measure:engine -- MODEL.gguf [THREADS]`: what one model costs through bild's engine path
// (node-llama-cpp's native context, driven as the decoding loop drives it): the prompt, one token at
// a time, and batches of n tokens with an output at each (a verification) after the prompt. Prints
// which llama.cpp binary node-llama-cpp loaded (prebuilt or a source build, with or without OpenMP)
// and the libuv pool size, the two things that decided these costs on the reference machine
// (docs/engine.md). Run it with `UV_THREADPOOL_SIZE=1` to see what the `bild` command sees.
// Medians of REPEATS (default 20).
import {LoadedModel, Tokenizer} from "../dist/src/index.js";
import {getEngineLlama} from "../dist/src/engine/getEngineLlama.js";
import {medianMs, pythonPrompt} from "./measureSupport.mjs";

const [modelPath, threadsArg] = process.argv.slice(2);
if (modelPath == null) {
    process.stderr.write("usage: npm run measure:engine -- MODEL.gguf [THREADS]\n");
    process.exit(2);
}
const threads = Number(threadsArg ?? 2);
const REPEATS = Number(process.env.REPEATS ?? 20);
const DECODE_TOKENS = 128;
const BATCHES = [1, 2, 4, 8, 16, 32];

const llama = await getEngineLlama();
const model = await LoadedModel.load(modelPath, {threads});
const sequence = model.createSequence();
const prompt = new Tokenizer(model.model, model.vocabularySize).encodePrompt(pythonPrompt(8));
const filler = (length) => Array.from({length}, (_, i) => prompt[1 + (i % (prompt.length - 1))]);

await sequence.evaluate(prompt, 1);
const promptMs = await medianMs(async () => {
    await sequence.truncate(0);
    await sequence.evaluate(prompt, 1);
}, Math.min(REPEATS, 5));
const decodeMs = await medianMs(async () => {
    for (const token of filler(DECODE_TOKENS))
        await sequence.evaluate([token], 1);
    await sequence.truncate(prompt.length);
}, Math.min(REPEATS, 5)) / DECODE_TOKENS;
const batchMs = [];
for (const n of BATCHES)
    batchMs.push(await medianMs(async () => {
        await sequence.evaluate(filler(n), n);
        await sequence.truncate(prompt.length);
    }, REPEATS));

const openMp = /OPENMP = 1/.test(llama.systemInfo);
console.log(`${modelPath}, ${threads} thread(s), binary: ${llama.buildType}${openMp ? " (OpenMP)" : " (no OpenMP)"}, ` +
    `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "unset (4)"}, prompt ${prompt.length} tokens`);
console.log(`  prompt: ${promptMs.toFixed(1)} ms; one token at a time: ${decodeMs.toFixed(2)} ms/token (${(1000 / decodeMs).toFixed(1)} tok/s)`);
console.log(`  batch of n with n outputs, ms: ${BATCHES.map((n, i) => `${n}: ${batchMs[i].toFixed(1)}`).join(", ")}`);
await sequence[Symbol.asyncDispose]();
await model[Symbol.asyncDispose]();
