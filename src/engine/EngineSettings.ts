/** llama.cpp's compute backend: node-llama-cpp's choice (`auto`), one named, or the CPU alone (`off`). */
export const GPU_CHOICES = ["auto", "cuda", "vulkan", "metal", "off"] as const;
export type GpuChoice = (typeof GPU_CHOICES)[number];
/** node-llama-cpp's choice among the installed prebuilt binaries: a GPU backend where one works, else the CPU. */
export const DEFAULT_GPU: GpuChoice = "auto";

/** Threads per context (the little model's): one decoded a small model fastest (docs/defaults.md). */
export const DEFAULT_THREADS = 1;

/**
 * Threads of the big model where none is given: llama.cpp's own default, the machine's physical
 * cores (node-llama-cpp's `cpuMathCores`), when Node's worker pool has one worker
 * (`UV_THREADPOOL_SIZE=1`, which the `bild` command sets); one otherwise, because with several
 * workers llama.cpp's multi-threaded calls run several times slower (docs/engine.md). The little
 * model's thread is not subtracted: the two models never compute at the same time.
 */
export function defaultBigThreads(physicalCores: number): number {
    return process.env.UV_THREADPOOL_SIZE === "1" ? Math.max(1, physicalCores) : DEFAULT_THREADS;
}

/**
 * Most tokens per sequence's KV cache by default. Where none is given, the cache holds the model's
 * trained length, up to this and to what free memory holds (node-llama-cpp's estimate): a 128k
 * model's full cache would take gigabytes that few prompts need.
 */
export const DEFAULT_MAX_CONTEXT_SIZE = 8192;
/** Largest batch llama.cpp evaluates at once; longer prompts are split. */
export const DEFAULT_BATCH_SIZE = 512;
/** Sequences per context: how many generations can run at once. */
export const DEFAULT_SEQUENCES = 1;

/** Tokens per timed call when flash attention is chosen by measurement: a verification batch. */
export const DEFAULT_ATTENTION_PROBE_TOKENS = 8;

/** How each model of a pair is loaded and run. */
export type EngineSettings = {
    /** Backend, process-wide (the first model loaded decides). Defaults to {@link DEFAULT_GPU}. */
    readonly gpu?: GpuChoice,
    /** CPU threads per context. Defaults to {@link DEFAULT_THREADS} (the big model of a pair: {@link defaultBigThreads}). */
    readonly threads?: number,
    /** KV cache size in tokens, per sequence. Defaults to the model's trained length, at most {@link DEFAULT_MAX_CONTEXT_SIZE} and what free memory holds. */
    readonly contextSize?: number,
    /** Maximum tokens per llama.cpp batch. Defaults to {@link DEFAULT_BATCH_SIZE}. */
    readonly batchSize?: number,
    /** Number of independent sequences (parallel generations). Defaults to {@link DEFAULT_SEQUENCES}. */
    readonly sequences?: number,
    /**
     * llama.cpp's flash attention: on (`true`), off (`false`) or `"auto"`, the default: on a GPU
     * backend llama.cpp's own choice; on the CPU, where which is faster differs between processors
     * (docs/defaults.md), on unless off ran a call of `attentionProbeTokens` more than 4 % faster, timed once per model
     * file, threads and CPU (about a second) and cached (`chooseFlashAttention`).
     */
    readonly flashAttention?: "auto" | boolean,
    /** Tokens per timed call of the `"auto"` choice. Defaults to {@link DEFAULT_ATTENTION_PROBE_TOKENS}; a pair's little model, which drafts one token per call, uses 1. */
    readonly attentionProbeTokens?: number,
    /** Told before flash attention is timed for a model (the CLI writes a line on standard error). */
    readonly onAttentionTiming?: (filePath: string) => void,
    /**
     * llama.cpp `rpc-server`s (`host:port`) to hold all of the model's layers, split by their free
     * memory, as llama.cpp's `--rpc` does; none by default (the model runs in this process). Needs a
     * llama.cpp binary with the RPC backend (`npm run build:addon`); Linux only in this release.
     */
    readonly rpcServers?: readonly string[]
};
