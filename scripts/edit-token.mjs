#!/usr/bin/env node
// edit-token.mjs: copy a GGUF model with one vocabulary entry's text replaced, everything else
// (weights, other tokens) unchanged. The copy loads and runs, but its tokenizer differs from the
// original's: the tests pair it with the bundled model to check that a pair with different
// tokenizers is refused, with nothing beside the repository.
//
// Usage: node scripts/edit-token.mjs IN.gguf OUT.gguf --token ID=TEXT
import {readGguf, writeGguf} from "./gguf-file.mjs";

const args = process.argv.slice(2);
const tokenAt = args.indexOf("--token");
const edit = /^(\d+)=(.+)$/s.exec(tokenAt >= 0 ? args[tokenAt + 1] ?? "" : "");
const [inPath, outPath] = args.filter((_, i) => i !== tokenAt && i !== tokenAt + 1);
if (inPath == null || outPath == null || edit == null) {
    console.error("usage: node scripts/edit-token.mjs IN.gguf OUT.gguf --token ID=TEXT");
    process.exit(2);
}
const id = Number(edit[1]);
const model = readGguf(inPath);
const tokens = model.kvs.find((kv) => kv.key === "tokenizer.ggml.tokens")?.value;
if (tokens == null || id >= tokens.length)
    throw new Error(`${inPath} has no token ${id}`);
const before = tokens[id];
tokens[id] = edit[2];
writeGguf(outPath, model);
console.error(`wrote ${outPath}: token ${id} ${JSON.stringify(before)} → ${JSON.stringify(edit[2])}`);
