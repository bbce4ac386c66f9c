#!/usr/bin/env node
/*
 * The `bild` command's entry point: CommonJS, so that it runs before Node's ES module loader has
 * used (and so started) libuv's worker pool. node-llama-cpp runs every llama.cpp call on that pool,
 * and the prebuilt llama.cpp computes on OpenMP, which keeps one team of threads per calling
 * thread: with the default 4 workers a 2-thread model ran several times slower than on one
 * worker (docs/engine.md). The variable is only read when the pool starts, hence this file; a value the
 * user set is kept.
 */
process.env.UV_THREADPOOL_SIZE ??= "1";
void import("./program.js");
