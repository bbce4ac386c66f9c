#!/usr/bin/env node
// edit-gguf.mjs: copy a GGUF model with vocabulary entries or tokenizer metadata changed, the
// weights unchanged. The tests derive pairs that behave like real ones from the bundled models
// with it (another EOS id, no BOS, one token's text changed), with nothing beside the repository.
//
// Usage: node scripts/edit-gguf.mjs IN.gguf OUT.gguf [--token ID=TEXT]... [--set KEY=VALUE]...
//   --token 300=foo                       token 300's text becomes "foo"
//   --set tokenizer.ggml.eos_token_id=4093  an integer, boolean or string entry gets a new value (a new entry is a U32, BOOL or string by its value)
import {GGUF_TYPE, readGguf, writeGguf} from "./gguf-file.mjs";

const usage = () => {
    console.error("usage: node scripts/edit-gguf.mjs IN.gguf OUT.gguf [--token ID=TEXT]... [--set KEY=VALUE]...");
    process.exit(2);
};
const args = process.argv.slice(2);
const paths = [];
const edits = [];
for (let i = 0; i < args.length; i++) {
    if (args[i] === "--token" || args[i] === "--set") {
        const edit = (args[i] === "--token" ? /^(\d+)=(.+)$/s : /^([\w.]+)=(.*)$/s).exec(args[++i] ?? "");
        if (edit == null)
            usage();
        edits.push({kind: args[i - 1], target: edit[1], value: edit[2]});
    } else
        paths.push(args[i]);
}
const [inPath, outPath] = paths;
if (paths.length !== 2 || edits.length === 0)
    usage();

const model = readGguf(inPath);
for (const {kind, target, value} of edits) {
    if (kind === "--token") {
        const tokens = model.kvs.find((kv) => kv.key === "tokenizer.ggml.tokens")?.value;
        const id = Number(target);
        if (tokens == null || id >= tokens.length)
            throw new Error(`${inPath} has no token ${id}`);
        console.error(`token ${id}: ${JSON.stringify(tokens[id])} → ${JSON.stringify(value)}`);
        tokens[id] = value;
        continue;
    }
    let kv = model.kvs.find((entry) => entry.key === target);
    if (kv == null) {
        kv = {key: target, type: /^\d+$/.test(value) ? GGUF_TYPE.U32 : value === "true" || value === "false" ? GGUF_TYPE.BOOL : GGUF_TYPE.STRING};
        model.kvs.push(kv);
    }
    if (kv.type === GGUF_TYPE.STRING)
        kv.value = value;
    else if (kv.type === GGUF_TYPE.BOOL && (value === "true" || value === "false"))
        kv.raw = Buffer.from([value === "true" ? 1 : 0]);
    else if ((kv.type === GGUF_TYPE.U32 || kv.type === GGUF_TYPE.I32) && /^-?\d+$/.test(value)) {
        kv.raw = Buffer.alloc(4);
        kv.type === GGUF_TYPE.U32 ? kv.raw.writeUInt32LE(Number(value)) : kv.raw.writeInt32LE(Number(value));
    } else
        throw new Error(`${target} (GGUF type ${kv.type}) cannot be set to ${JSON.stringify(value)}`);
    console.error(`${target} → ${value}`);
}
writeGguf(outPath, model);
console.error(`wrote ${outPath}`);
