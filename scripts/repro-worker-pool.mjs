#!/usr/bin/env node
// A reproduction for node-llama-cpp's maintainers, on its public API only (no bild code):
// `UV_THREADPOOL_SIZE=4 node scripts/repro-worker-pool.mjs MODEL.gguf` against
// `UV_THREADPOOL_SIZE=1 …`. Greedy decoding of 128 tokens after a short prompt, with the context on
// 2 threads. On the 2-core reference VM the default pool (4 workers) made each token several times
// slower than one worker (docs/upstream.md).
import {getLlama} from "node-llama-cpp";

const [modelPath, threadsArg] = process.argv.slice(2);
if (modelPath == null) {
    process.stderr.write("usage: node scripts/repro-worker-pool.mjs MODEL.gguf [THREADS]\n");
    process.exit(2);
}
const TOKENS = 128;
const llama = await getLlama({gpu: false, build: "never", maxThreads: 0});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 512, threads: Number(threadsArg ?? 2), flashAttention: false});
const sequence = context.getSequence();
const prompt = model.tokenize("def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n", true);

const decode = async () => {
    let count = 0;
    const start = performance.now();
    for await (const token of sequence.evaluate(prompt, {temperature: 0})) {
        void token;
        if (++count >= TOKENS)
            break;
    }
    const ms = performance.now() - start;
    await sequence.clearHistory();
    return ms;
};
await decode();
const runs = [await decode(), await decode(), await decode()].sort((a, b) => a - b);
console.log(`${llama.buildType} binary, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "unset (4)"}, ` +
    `${context.currentThreads} threads: ${TOKENS} tokens in ${runs[1].toFixed(0)} ms (median of 3), ${(TOKENS / runs[1] * 1000).toFixed(1)} tok/s`);
await context.dispose();
await model.dispose();
