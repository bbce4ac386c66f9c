#!/usr/bin/env node
// Builds node-llama-cpp's addon for this machine's CPU from the llama.cpp source it ships, offline,
// with llama.cpp's RPC backend (for --big-rpc). The options must be those of
// src/engine/rpc/rpcBuild.ts: node-llama-cpp files local builds by their options, and bild asks
// for a build with these.
import {spawnSync} from "node:child_process";

const env = {...process.env, NODE_LLAMA_CPP_CMAKE_OPTION_GGML_RPC: "ON"};
const result = spawnSync("npx", ["--no", "node-llama-cpp", "source", "download", "--gpu", "false", "--noUsageExample"], {stdio: "inherit", env});
if (result.error != null) {
    process.stderr.write(`build:addon: cannot run npx (${result.error.message})\n`);
    process.exit(2);
}
process.exit(result.status ?? 1);
