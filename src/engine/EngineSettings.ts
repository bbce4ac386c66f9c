import {availableParallelism} from "node:os";

/** Threads per context (the little model's): one decoded a small model fastest (docs/defaults.md). */
export const DEFAULT_THREADS = 1;
/**
 * Threads of the big model: two where the machine has two cores and Node's worker pool has one
 * worker (`UV_THREADPOOL_SIZE=1`, which the `bild` command sets); one otherwise, because with
 * several workers llama.cpp's multi-threaded calls run several times slower (docs/engine.md). On
 * the 2-core reference machine two threads made the big model faster (docs/defaults.md).
 */
export const DEFAULT_BIG_THREADS = process.env.UV_THREADPOOL_SIZE === "1" ? Math.min(2, availableParallelism()) : DEFAULT_THREADS;
/**
 * Tokens per sequence's KV cache (prompt + generated tokens must fit), unless the model was trained
 * on shorter sequences: then its trained length, past which its output degrades.
 */
export const DEFAULT_CONTEXT_SIZE = 1024;
/** Largest batch llama.cpp evaluates at once; longer prompts are split. */
export const DEFAULT_BATCH_SIZE = 512;
/** Sequences per context: how many generations can run at once. */
export const DEFAULT_SEQUENCES = 1;
/**
 * llama.cpp's flash attention, off: on the CPUs measured it slowed the big model's batched checks
 * (what BiLD and speculative decoding ask of it) and the little model's single tokens at a few
 * hundred tokens of context, though it sped up a big model decoding alone (`--mode big
 * --flash-attention on`). Measured in docs/defaults.md.
 */
export const DEFAULT_FLASH_ATTENTION: "auto" | boolean = false;

/** How each model of a pair is loaded and run. */
export type EngineSettings = {
    /** CPU threads per context. Defaults to {@link DEFAULT_THREADS}. */
    readonly threads?: number,
    /** KV cache size in tokens, per sequence. Defaults to {@link DEFAULT_CONTEXT_SIZE} or the model's trained length, whichever is smaller. */
    readonly contextSize?: number,
    /** Maximum tokens per llama.cpp batch. Defaults to {@link DEFAULT_BATCH_SIZE}. */
    readonly batchSize?: number,
    /** Number of independent sequences (parallel generations). Defaults to {@link DEFAULT_SEQUENCES}. */
    readonly sequences?: number,
    /** llama.cpp's flash attention: `"auto"`, on (`true`) or off (`false`). Defaults to {@link DEFAULT_FLASH_ATTENTION}. */
    readonly flashAttention?: "auto" | boolean
};
