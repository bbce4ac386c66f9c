import {availableParallelism} from "node:os";
import path from "node:path";
import {Option, type Command} from "commander";
import {ModelPair, type PairEngineSettings} from "../engine/ModelPair.js";
import {DEFAULT_BATCH_SIZE, DEFAULT_GPU, DEFAULT_MAX_CONTEXT_SIZE, DEFAULT_THREADS, GPU_CHOICES, type GpuChoice} from "../engine/EngineSettings.js";
import {BUNDLED_BIG_MODEL, BUNDLED_LITTLE_MODEL, bundledLabel} from "./bundledModels.js";
import {parsePositiveInteger} from "./parseNumbers.js";
import {downloadProgress} from "./progressBars.js";
import {busyCoresNow} from "./busyCores.js";
import {flashAttentionCacheFile} from "../engine/chooseFlashAttention.js";
import {parseRpcEndpoints} from "../engine/rpc/rpcEndpoints.js";
import {exitImmediately, onGgmlAbort} from "../engine/rpc/ggmlBackends.js";
import {getEngineLlama} from "../engine/getEngineLlama.js";

export type ModelCliOptions = {
    big: string,
    little: string,
    threads?: number,
    bigThreads?: number,
    littleThreads?: number,
    contextSize?: number,
    gpu: GpuChoice,
    flashAttention?: "auto" | "on" | "off",
    batchSize: number,
    bigRpc?: string[],
    littleRpc?: string[]
};

/** Whether a model of the pair runs on rpc-servers: llama.cpp then aborts the process if one fails mid-call. */
export function usesRpc(options: ModelCliOptions): boolean {
    return options.bigRpc != null || options.littleRpc != null;
}

/** The options every command that loads a model pair takes. */
export function addModelOptions(command: Command): Command {
    return command
        .addOption(new Option("--big <path>", "big model: GGUF path or hf: URI").default(BUNDLED_BIG_MODEL, bundledLabel(BUNDLED_BIG_MODEL)))
        .addOption(new Option("--little <path>", "little model: GGUF path or hf: URI").default(BUNDLED_LITTLE_MODEL, bundledLabel(BUNDLED_LITTLE_MODEL)))
        .addOption(new Option("--threads <n>", "CPU threads of each model (default: see --big-threads and --little-threads)").argParser(parsePositiveInteger))
        .addOption(new Option("--big-threads <n>", "CPU threads of the big model (default: --threads, else the physical cores, as llama.cpp's tools use)").argParser(parsePositiveInteger))
        .addOption(new Option("--little-threads <n>", `CPU threads of the little model (default: --threads, else ${DEFAULT_THREADS})`).argParser(parsePositiveInteger))
        .addOption(new Option("--context-size <n>",
            `KV cache tokens per sequence (default: each model's trained length, at most ${DEFAULT_MAX_CONTEXT_SIZE} and what free memory holds)`).argParser(parsePositiveInteger))
        .addOption(new Option("--batch-size <n>", "largest llama.cpp batch").argParser(parsePositiveInteger).default(DEFAULT_BATCH_SIZE))
        .addOption(new Option("--gpu <backend>", "llama.cpp's backend: auto picks a GPU build that works here, else the CPU").choices(GPU_CHOICES).default(DEFAULT_GPU))
        .addOption(new Option("--flash-attention <when>",
            "llama.cpp's flash attention; auto: on the CPU on unless off is clearly faster, timed once per model file, threads and CPU (about a second) and cached; on a GPU llama.cpp's choice")
            .choices(["auto", "on", "off"]).default("auto"))
        .addOption(new Option("--big-rpc <host:port,...>", "put the big model's layers on these llama.cpp rpc-servers (docs/rpc.md); the little model stays here")
            .argParser((text: string) => parseRpcEndpoints(text, "--big-rpc")))
        .addOption(new Option("--little-rpc <host:port,...>", "put the little model's layers on these llama.cpp rpc-servers (docs/rpc.md): each of its tokens then pays a round trip")
            .argParser((text: string) => parseRpcEndpoints(text, "--little-rpc")));
}

/**
 * Loads the pair the options name, after warning (on standard error, once) about settings that
 * work but hurt: more threads than cores, a context longer than a model was trained on, more big-model
 * threads than the cores other processes leave free.
 */
export async function loadPairFromOptions(options: ModelCliOptions, sequences?: number): Promise<ModelPair> {
    const cores = availableParallelism();
    for (const [flag, threads] of [["--threads", options.threads], ["--big-threads", options.bigThreads], ["--little-threads", options.littleThreads]] as const)
        if (threads != null && threads > cores)
            warn(`${flag} ${threads} is more than this machine's ${cores} cores: llama.cpp's threads then wait on each other and decoding can be 100× slower (use at most ${cores})`);
    // The pair resolves each model's default threads.
    const settings: PairEngineSettings = {
        threads: options.threads, contextSize: options.contextSize, batchSize: options.batchSize, sequences, gpu: options.gpu,
        flashAttention: options.flashAttention == null || options.flashAttention === "auto" ? options.flashAttention : options.flashAttention === "on",
        big: {threads: options.bigThreads, rpcServers: options.bigRpc},
        little: {threads: options.littleThreads, rpcServers: options.littleRpc},
        onDownloadProgress: (role) => downloadProgress(`the ${role} model`),
        onAttentionTiming: (file) => process.stderr.write(`bild: timing flash attention on and off for ${path.basename(file)} (once per model file, threads and CPU; cached in ${flashAttentionCacheFile()})\n`)
    };
    // Sampled before the models load, while this process computes nothing. BILD_CPU_CHECK=off skips
    // it (the test suite does, so that a busy test machine does not add lines to what it compares).
    const busy = process.env.BILD_CPU_CHECK === "off" ? undefined : await busyCoresNow(cores);
    if (usesRpc(options)) {
        await getEngineLlama(options.gpu);
        onGgmlAbort(rpcFailed);
    }
    const pair = await ModelPair.load({big: options.big, little: options.little}, settings);
    const {threads} = pair.big;
    if (busy != null && pair.gpu === false && threads > 1 && cores - busy < threads - 0.5)
        warn(`other processes keep ${busy.toFixed(1)} of this machine's ${cores} cores busy: the big model's ${threads} threads then wait on each other ` +
            `and it can run several times slower (docs/engine.md); --big-threads ${Math.max(1, Math.floor(cores - busy + 0.5))} is faster while that lasts`);
    const shorter = [pair.big, pair.little].filter((model) => options.contextSize != null && options.contextSize > model.model.trainContextSize);
    if (shorter.length > 0)
        warn(`--context-size ${options.contextSize} is above what ${shorter.map((model) => `${path.basename(model.filePath)} (${model.model.trainContextSize} tokens)`).join(" and ")} ` +
            "was trained on: output degrades past that");
    return pair;
}

/**
 * llama.cpp's RPC client aborts the process when a server dies or answers garbage mid-call; this
 * says so in one line instead of a native backtrace, and exits 1 (what was written so far stays).
 */
function rpcFailed(message: string): never {
    const reason = message.replace(/^.*?:\d+: /, "").trim();
    process.stderr.write(`\nbild: error: an rpc-server failed mid-call (llama.cpp: ${reason}); ` +
        "restart it (and check the network to it), then run again\n");
    exitImmediately(1);
}

/** Seconds past a time limit that a call to an rpc-server may still take before it counts as stalled. */
export const RPC_STALL_GRACE_SECONDS = 5;

/** A call to an rpc-server has not returned well past `limit` (a time limit, as the user knows it): says so in one line and exits 1. */
export function rpcStalled(limit: string): never {
    process.stderr.write(`\nbild: error: a call to an rpc-server has not returned ${RPC_STALL_GRACE_SECONDS} s after ${limit}: ` +
        "the server or the network to it stalled; check it, then run again\n");
    exitImmediately(1);
}

const warn = (message: string) => process.stderr.write(`bild: warning: ${message}\n`);
