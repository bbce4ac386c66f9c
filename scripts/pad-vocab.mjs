#!/usr/bin/env node
// pad-vocab.mjs: copy a GGUF model with its vocabulary padded to N tokens, to measure what a
// real model's vocabulary size (32k–152k) costs per position. The added tokens are unused
// ("<|bild_pad_i|>", token type UNUSED) and their embedding and output rows are zero, so they get
// logit 0: the copy's distributions are NOT the original's (the new tokens take some mass), which
// is fine for timing, not for quality. Only F32/F16 `token_embd.weight` / `output.weight` are supported.
//
// Usage: node scripts/pad-vocab.mjs IN.gguf OUT.gguf --vocab 152064
import fs from "node:fs";

const args = process.argv.slice(2);
const vocabAt = args.indexOf("--vocab");
const target = vocabAt >= 0 ? Number(args[vocabAt + 1]) : NaN;
const [inPath, outPath] = args.filter((_, i) => i !== vocabAt && i !== vocabAt + 1);
if (inPath == null || outPath == null || !Number.isInteger(target) || target < 1) {
    console.error("usage: node scripts/pad-vocab.mjs IN.gguf OUT.gguf --vocab N");
    process.exit(2);
}

const T = {U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12};
const SIZES = {[T.U8]: 1, [T.I8]: 1, [T.U16]: 2, [T.I16]: 2, [T.U32]: 4, [T.I32]: 4, [T.F32]: 4, [T.BOOL]: 1, [T.U64]: 8, [T.I64]: 8, [T.F64]: 8};
const BYTES_PER_ELEMENT = {0: 4, 1: 2};
const UNUSED_TOKEN_TYPE = 5;

const input = fs.readFileSync(inPath);
let at = 0;
const u32 = () => (at += 4, input.readUInt32LE(at - 4));
const u64 = () => (at += 8, Number(input.readBigUInt64LE(at - 8)));
const str = () => {
    const length = u64();
    at += length;
    return input.toString("utf8", at - length, at);
};
// Values are kept as raw bytes unless they are arrays we rewrite: only the two vocabulary arrays change.
function readValue(type) {
    if (type === T.STRING)
        return {type, value: str()};
    if (type === T.ARRAY) {
        const itemType = u32();
        const count = u64();
        const items = [];
        for (let i = 0; i < count; i++)
            items.push(readValue(itemType).value);
        return {type, itemType, value: items};
    }
    const size = SIZES[type];
    if (size == null)
        throw new Error(`unknown GGUF value type ${type}`);
    at += size;
    return {type, raw: input.subarray(at - size, at)};
}

if (input.toString("latin1", 0, 4) !== "GGUF")
    throw new Error(`${inPath} is not a GGUF file`);
at = 4;
const version = u32();
const tensorCount = u64();
const kvCount = u64();
const kvs = [];
for (let i = 0; i < kvCount; i++) {
    const key = str();
    kvs.push({key, ...readValue(u32())});
}
const tensors = [];
for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const dims = Array.from({length: u32()}, u64);
    tensors.push({name, dims, type: u32(), offset: u64()});
}
const alignment = 32;
const dataStart = Math.ceil(at / alignment) * alignment;

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

// Tensor data, with the vocabulary-sized tensors grown by zero rows (ggml: rows are the last dim).
const payloads = tensors.map((tensor, i) => {
    const start = dataStart + tensor.offset;
    const end = i + 1 < tensors.length ? dataStart + tensors[i + 1].offset : input.length;
    const elementBytes = BYTES_PER_ELEMENT[tensor.type];
    // Other types (quantised) are copied with their padding, which only they know the size of.
    const bytes = elementBytes == null ? input.subarray(start, end) : input.subarray(start, start + tensor.dims.reduce((a, b) => a * b, elementBytes));
    if (tensor.name !== "token_embd.weight" && tensor.name !== "output.weight")
        return bytes;
    if (elementBytes == null || tensor.dims[1] !== vocabulary)
        throw new Error(`${tensor.name}: only F32/F16 [n_embd, n_vocab] tensors are supported`);
    tensor.dims[1] = target;
    return Buffer.concat([bytes, Buffer.alloc(tensor.dims[0] * (target - vocabulary) * elementBytes)]);
});

const chunks = [];
const w32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); chunks.push(b); };
const w64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); chunks.push(b); };
const wstr = (s) => { const b = Buffer.from(s, "utf8"); w64(b.length); chunks.push(b); };
function writeItem(type, value) {
    if (type === T.STRING)
        return wstr(value);
    const b = Buffer.alloc(SIZES[type]);
    if (type === T.I32) b.writeInt32LE(value);
    else if (type === T.F32) b.writeFloatLE(value);
    else if (type === T.U32) b.writeUInt32LE(value);
    else throw new Error(`cannot write array items of type ${type}`);
    chunks.push(b);
}
chunks.push(Buffer.from("GGUF", "latin1"));
w32(version);
w64(tensors.length);
w64(kvs.length);
for (const kv of kvs) {
    wstr(kv.key);
    w32(kv.type);
    if (kv.type === T.STRING)
        wstr(kv.value);
    else if (kv.type === T.ARRAY) {
        w32(kv.itemType);
        w64(kv.value.length);
        for (const item of kv.value)
            writeItem(kv.itemType, item);
    } else
        chunks.push(kv.raw);
}
let offset = 0;
const offsets = payloads.map((payload) => {
    const mine = offset;
    offset = Math.ceil((offset + payload.length) / alignment) * alignment;
    return mine;
});
tensors.forEach((tensor, i) => {
    wstr(tensor.name);
    w32(tensor.dims.length);
    tensor.dims.forEach(w64);
    w32(tensor.type);
    w64(offsets[i]);
});
const headerLength = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
chunks.push(Buffer.alloc(Math.ceil(headerLength / alignment) * alignment - headerLength));
payloads.forEach((payload, i) => {
    chunks.push(payload);
    const end = offsets[i] + payload.length;
    const next = i + 1 < payloads.length ? offsets[i + 1] : Math.ceil(end / alignment) * alignment;
    chunks.push(Buffer.alloc(next - end));
});
fs.writeFileSync(outPath, Buffer.concat(chunks));
console.error(`wrote ${outPath}: vocabulary ${vocabulary} → ${target}`);
