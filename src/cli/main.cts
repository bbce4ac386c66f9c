#!/usr/bin/env node
/*
 * The `bild` command's entry point: CommonJS, so that it runs before Node's ES module loader has
 * used (and so started) libuv's worker pool. node-llama-cpp runs every llama.cpp call on that pool,
 * and llama.cpp's helper threads (started per graph by the prebuilt binary, an OpenMP team per
 * calling thread in a source build) do badly when successive calls come from different workers:
 * with the default 4 a 2-thread model ran up to 4.6× slower per token than on one worker
 * (docs/engine.md). The variable is only read when the pool starts, hence this file; a value the
 * user set is kept.
 */
process.env.UV_THREADPOOL_SIZE ??= "1";
void import("./program.js");
