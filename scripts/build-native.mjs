#!/usr/bin/env node
// Builds llama.cpp's own tools (the bench's native-big and native-speculative rows, and ggml-rpc-server
// with the RPC backend for measure:rpc) from the
// llama.cpp source node-llama-cpp ships, offline, into .cache/native/llama.cpp/build/bin.
// Same release as the engine bild runs on, compiled for this machine's CPU (cmake's default).
import {spawnSync} from "node:child_process";
import {existsSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bundle = path.join(root, "node_modules/node-llama-cpp/llama/gitRelease.bundle");
const source = path.join(root, ".cache/native/llama.cpp");
const build = path.join(source, "build");
const TARGETS = ["llama-completion", "llama-speculative-simple", "llama-speculative", "llama-bench", "ggml-rpc-server"];

function fail(message) {
    process.stderr.write(`build:native: ${message}\n`);
    process.exit(2);
}

function run(command, args) {
    process.stderr.write(`$ ${command} ${args.join(" ")}\n`);
    const result = spawnSync(command, args, {stdio: "inherit"});
    if (result.error != null)
        fail(`cannot run ${command} (${result.error.message}): install git, cmake and a C++ compiler (Debian: apt-get install git cmake g++)`);
    if (result.status !== 0)
        fail(`${command} failed with exit code ${result.status}`);
}

if (!existsSync(bundle))
    fail(`${bundle} is missing: run npm ci first`);
if (!existsSync(source))
    run("git", ["-c", "advice.detachedHead=false", "clone", "--quiet", bundle, source]);
run("cmake", ["-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DGGML_RPC=ON"]);
run("cmake", ["--build", build, "--parallel", String(os.availableParallelism()), "--target", ...TARGETS]);
process.stderr.write(`build:native: ${TARGETS.join(", ")} are in ${path.join(build, "bin")}\n`);
