#!/usr/bin/env node
// `npm run measure:parallel -- BIG.gguf LITTLE.gguf [K]`: one draft/verify cycle's two halves — the
// big model checking K drafted tokens in one batch, the little model writing the next K tokens —
// timed in series (big on 2 threads, then the little on 1) and overlapped (big on 1 thread while the
// little drafts on the other core: parallel drafting, as in PEARL, arXiv 2408.11850). The overlapped
// time is a best case: it assumes every draft made during a check is kept. Run it twice:
// `UV_THREADPOOL_SIZE=1 npm run …` for the series (as `bild` runs) and `UV_THREADPOOL_SIZE=2 npm run …`
// for the overlap (two calls at once need two libuv workers). Median of REPEATS cycles, after a
// prompt of the first py dev prompt's length.
import {LoadedModel, Tokenizer} from "../dist/src/index.js";
import {medianMs, pythonPrompt} from "./measureSupport.mjs";

const [bigPath, littlePath, kArg] = process.argv.slice(2);
if (bigPath == null || littlePath == null) {
    process.stderr.write("usage: npm run measure:parallel -- BIG.gguf LITTLE.gguf [K]\n");
    process.exit(2);
}
const K = Number(kArg ?? 6);
const REPEATS = Number(process.env.REPEATS ?? 30);
const PROMPT = pythonPrompt(6);

const open = async (path, threads) => {
    const model = await LoadedModel.load(path, {threads, contextSize: 512});
    const sequence = model.createSequence();
    const prompt = new Tokenizer(model.model, model.vocabularySize).encodePrompt(PROMPT);
    await sequence.evaluate(prompt, 1);
    return {model, sequence, length: prompt.length, prompt};
};
const big2 = await open(bigPath, 2);
const big1 = await open(bigPath, 1);
const little = await open(littlePath, 1);

const check = async (big) => {
    await big.sequence.evaluate(big.prompt.slice(1, K + 1), K);
    await big.sequence.truncate(big.length);
};
const draft = async () => {
    for (let i = 0; i < K; i++)
        await little.sequence.evaluate([little.prompt[i + 1]], 1);
    await little.sequence.truncate(little.length);
};
const time = async (cycle) => {
    await cycle();
    return medianMs(cycle, REPEATS);
};

const checkOn2 = await time(() => check(big2));
const drafting = await time(draft);
const checkOn1 = await time(() => check(big1));
const overlapped = await time(() => Promise.all([check(big1), draft()]));
console.log(`K = ${K}, UV_THREADPOOL_SIZE = ${process.env.UV_THREADPOOL_SIZE ?? "unset (4)"}, ${PROMPT.length} prompt characters:`);
console.log(`  in series:  big checks on 2 threads ${checkOn2.toFixed(2)} ms + little drafts ${drafting.toFixed(2)} ms = ${(checkOn2 + drafting).toFixed(2)} ms`);
console.log(`  overlapped: big checks on 1 thread ${checkOn1.toFixed(2)} ms alone, ${overlapped.toFixed(2)} ms with the little drafting beside it`);
for (const loaded of [big2, big1, little]) {
    await loaded.sequence[Symbol.asyncDispose]();
    await loaded.model[Symbol.asyncDispose]();
}
