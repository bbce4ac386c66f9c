import {mkdir, readFile, realpath, rename, stat, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type {Llama, LlamaContext, LlamaModel} from "node-llama-cpp";
import {LlamaModelSequence} from "./LlamaModelSequence.js";
import {NativeBatchRunner} from "./NativeBatchRunner.js";

/** How a model's flash attention was decided, for `--stats` and `--json`. */
export type FlashAttentionChoice = {
    /** What the context runs with (`"auto"`: llama.cpp decides, on a GPU backend). */
    readonly enabled: boolean | "auto",
    /**
     * `setting`: asked for; `gpu` / `rpc`: llama.cpp's own choice (layers on a GPU / on RPC servers);
     * `measured`: timed now; `cache`: timed before on this machine.
     */
    readonly by: "setting" | "gpu" | "rpc" | "measured" | "cache",
    /** Median ms of the timed call with it on and off (measured or cached choices). */
    readonly msOn?: number,
    readonly msOff?: number
};

/** What a choice is timed on and cached for. */
export type FlashAttentionProbe = {
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly filePath: string,
    readonly threads: number,
    readonly batchSize: number,
    /** Tokens per timed call: a verification batch for a big model, 1 for a drafting little one. */
    readonly tokens: number,
    /** Told before a model is timed (the CLI writes a line on standard error). */
    readonly onMeasure?: (filePath: string) => void,
    /** The layers are on RPC servers: timing here would measure the network, so llama.cpp decides. */
    readonly onRpcServers?: boolean
};

/**
 * Off is chosen only when it timed this much faster: within it, on, llama.cpp's own `auto` where the
 * backend has flash attention. The timing of one file moves by ±4 % between runs on the 2-core AMD
 * VM (an 8-token call of py-big ×2: on 4–8 % faster in three runs, 1.6 % slower in a fourth, which
 * the cache then kept), while end to end on was 10–16 % faster there in every row of the three
 * regimes' benches (2026-12-06); where off won (the little model; the Intel VM of 2026-11-27) it
 * won by 16–36 %.
 */
const OFF_MARGIN = 0.04;

/** Whether timings `msOn` / `msOff` choose flash attention on (see {@link OFF_MARGIN}). */
export const choosesFlashAttention = ({msOn, msOff}: {readonly msOn: number, readonly msOff: number}) => msOff >= msOn * (1 - OFF_MARGIN);

/** Tokens in the cache before the timed calls: a prompt's worth, so attention has something to read. */
const PREFIX = 256;
const ROUNDS = 7;

/** The cache file: `$BILD_CACHE_DIR`, else `$XDG_CACHE_HOME/bild`, else `~/.cache/bild`. */
export function flashAttentionCacheFile(): string {
    const dir = process.env.BILD_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "bild");
    return path.join(dir, "flash-attention.json");
}

/**
 * Flash attention for one model: the setting where one is given, llama.cpp's `auto` on a GPU, and
 * on the CPU on unless off ran a call of `tokens` tokens clearly faster ({@link OFF_MARGIN}) after a prompt's worth of
 * cache — timed once per model file (path, size, modification time), threads, call size, backend
 * and CPU, and cached, since which is faster differs between CPUs (docs/defaults.md).
 */
export async function chooseFlashAttention(setting: boolean | "auto" | undefined, probe: FlashAttentionProbe): Promise<FlashAttentionChoice> {
    if (typeof setting === "boolean")
        return {enabled: setting, by: "setting"};
    if (probe.onRpcServers === true)
        return {enabled: "auto", by: "rpc"};
    if (probe.llama.gpu !== false)
        return {enabled: "auto", by: "gpu"};
    const file = flashAttentionCacheFile();
    const key = await cacheKey(probe);
    const cache = await readCache(file);
    const known = cache[key];
    if (known != null)
        return {enabled: choosesFlashAttention(known), by: "cache", ...known};
    probe.onMeasure?.(probe.filePath);
    const timed = await timeBothWays(probe);
    cache[key] = timed;
    await writeCache(file, cache);
    return {enabled: choosesFlashAttention(timed), by: "measured", ...timed};
}

type Timings = {msOn: number, msOff: number};

async function cacheKey({filePath, threads, tokens, llama}: FlashAttentionProbe): Promise<string> {
    const real = await realpath(filePath);
    const {size, mtimeMs} = await stat(real);
    return JSON.stringify([real, size, mtimeMs, threads, tokens, llama.gpu || "cpu", os.cpus()[0]?.model ?? "unknown cpu"]);
}

async function readCache(file: string): Promise<Record<string, Timings>> {
    try {
        const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
        return typeof parsed === "object" && parsed != null && !Array.isArray(parsed) ? parsed as Record<string, Timings> : {};
    } catch {
        // Absent or unreadable: time again (and rewrite it).
        return {};
    }
}

async function writeCache(file: string, cache: Record<string, Timings>): Promise<void> {
    try {
        await mkdir(path.dirname(file), {recursive: true});
        // Whole or not at all: another process may read it meanwhile.
        const partial = `${file}.${process.pid}.tmp`;
        await writeFile(partial, JSON.stringify(cache, null, 1));
        await rename(partial, file);
    } catch {
        // A read-only home only costs a timing per start.
    }
}

/** Median ms of a `tokens`-token call after the prefix, on and off, in alternating rounds so that machine noise hits both alike. */
async function timeBothWays(probe: FlashAttentionProbe): Promise<Timings> {
    const {model, llama, threads, batchSize, tokens} = probe;
    const vocabulary = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 2;
    const prefix = Math.max(1, Math.min(PREFIX, Math.floor(model.trainContextSize / 2) - tokens));
    const filler = (length: number, from: number) => Array.from({length}, (_, i) => (from + i * 7) % vocabulary);
    const contexts: LlamaContext[] = [];
    const runners: NativeBatchRunner[] = [];
    try {
        const sequences: LlamaModelSequence[] = [];
        for (const flashAttention of [true, false]) {
            const context = await model.createContext({contextSize: prefix + tokens + 1, batchSize, threads, flashAttention, sequences: 1});
            contexts.push(context);
            const runner = NativeBatchRunner.attach(llama, model, context, threads);
            runners.push(runner);
            const sequence = new LlamaModelSequence(context.getSequence(), runner, vocabulary);
            await sequence.evaluate(filler(prefix, 3), 1);
            sequences.push(sequence);
        }
        const samples: [number[], number[]] = [[], []];
        // Round 0 warms both up and is not counted.
        for (let round = 0; round <= ROUNDS; round++)
            for (const [i, sequence] of sequences.entries()) {
                const start = performance.now();
                await sequence.evaluate(filler(tokens, 11 + round), tokens);
                const ms = performance.now() - start;
                await sequence.truncate(prefix);
                if (round > 0)
                    samples[i]!.push(ms);
            }
        return {msOn: median(samples[0]), msOff: median(samples[1])};
    } finally {
        for (const runner of runners)
            runner.dispose();
        for (const context of contexts)
            await context.dispose();
    }
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
}
