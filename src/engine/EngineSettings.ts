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

/**
 * llama.cpp's flash attention where none is chosen: off on the CPU, where it slowed the big
 * model's batched checks (what BiLD and speculative decoding ask of it) and the little model's
 * single tokens at a few hundred tokens of context, though it sped up a big model decoding alone
 * (measured in docs/defaults.md); llama.cpp's `auto` on a GPU backend, where its kernels are the fast path.
 */
export function defaultFlashAttention(gpu: string | false): "auto" | boolean {
    return gpu === false ? false : "auto";
}

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
    /** llama.cpp's flash attention: `"auto"`, on (`true`) or off (`false`). Defaults to {@link defaultFlashAttention} of the backend. */
    readonly flashAttention?: "auto" | boolean
};
