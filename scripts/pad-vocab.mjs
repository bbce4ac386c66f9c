#!/usr/bin/env node
// pad-vocab.mjs: copy a GGUF model with its vocabulary padded to N tokens, to measure what a
// real model's vocabulary size (32k–152k) costs per position. The added tokens are unused
// ("<|bild_pad_i|>", token type UNUSED) and their embedding and output rows are zero, so they get
// logit 0: the copy's distributions are NOT the original's (the new tokens take some mass), which
// is fine for timing, not for quality. Only F32/F16 `token_embd.weight` / `output.weight` are supported.
//
// Usage: node scripts/pad-vocab.mjs IN.gguf OUT.gguf --vocab 152064
import {readGguf, writeGguf} from "./gguf-file.mjs";

const args = process.argv.slice(2);
const vocabAt = args.indexOf("--vocab");
const target = vocabAt >= 0 ? Number(args[vocabAt + 1]) : NaN;
const [inPath, outPath] = args.filter((_, i) => i !== vocabAt && i !== vocabAt + 1);
if (inPath == null || outPath == null || !Number.isInteger(target) || target < 1) {
    console.error("usage: node scripts/pad-vocab.mjs IN.gguf OUT.gguf --vocab N");
    process.exit(2);
}

const BYTES_PER_ELEMENT = {0: 4, 1: 2};
const UNUSED_TOKEN_TYPE = 5;

const model = readGguf(inPath);
const {kvs, tensors} = model;

const tokens = kvs.find((kv) => kv.key === "tokenizer.ggml.tokens");
const tokenTypes = kvs.find((kv) => kv.key === "tokenizer.ggml.token_type");
const vocabulary = tokens.value.length;
if (target <= vocabulary)
    throw new Error(`the vocabulary already has ${vocabulary} tokens`);
for (let i = vocabulary; i < target; i++) {
    tokens.value.push(`<|bild_pad_${i}|>`);
    tokenTypes?.value.push(UNUSED_TOKEN_TYPE);
}
const scores = kvs.find((kv) => kv.key === "tokenizer.ggml.scores");
while (scores != null && scores.value.length < target)
    scores.value.push(-1e9);

// The vocabulary-sized tensors grow by zero rows (ggml: rows are the last dim).
for (const tensor of tensors) {
    if (tensor.name !== "token_embd.weight" && tensor.name !== "output.weight")
        continue;
    const elementBytes = BYTES_PER_ELEMENT[tensor.type];
    if (elementBytes == null || tensor.dims[1] !== vocabulary)
        throw new Error(`${tensor.name}: only F32/F16 [n_embd, n_vocab] tensors are supported`);
    const bytes = tensor.bytes.subarray(0, tensor.dims[0] * vocabulary * elementBytes);
    tensor.dims[1] = target;
    tensor.bytes = Buffer.concat([bytes, Buffer.alloc(tensor.dims[0] * (target - vocabulary) * elementBytes)]);
}
writeGguf(outPath, model);
console.error(`wrote ${outPath}: vocabulary ${vocabulary} → ${target}`);
