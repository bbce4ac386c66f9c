import type {FlashAttentionChoice} from "../engine/chooseFlashAttention.js";
import {Option, type Command} from "commander";
import {DEFAULT_BENCH_GRID, GRID_SETTINGS, parseBenchGrid, type BenchGrid} from "../eval/benchRows.js";
import {DECODING_SETTINGS, kebabCase} from "../decoding/settings/decodingSettings.js";
import {addDecodingOptions} from "./decodingOptions.js";
import {isDecoderRow, isNativeRow, type BenchRowSpec} from "../eval/benchTypes.js";
import {BENCH_SEQUENCES, runBench, type BenchOutput} from "../eval/runBench.js";
import {DEFAULT_NATIVE_BIN_DIR, NativeTools} from "../eval/nativeTools.js";
import {startProgress} from "./progressBars.js";
import {loadPairFromOptions, usesRpc, type ModelCliOptions} from "./modelOptions.js";
import {readPromptFile, type EvalPrompt} from "../eval/promptFile.js";
import {BildUsageError} from "../errors.js";
import {parsePositiveInteger} from "./parseNumbers.js";

export type BenchCliOptions = {
    prompts?: string,
    nativeBin?: string,
    maxTokens?: number,
    limit?: number,
    rounds?: number,
    grid?: string[]
};

const gridText = (grid: BenchGrid) => GRID_SETTINGS.filter((name) => grid[name] != null)
    .map((name) => `${kebabCase(name)}=${grid[name]!.join(",")}`).join(" ");

/** Options shared by `bench` and `tune`: the prompts, the token budget and the grid of settings. */
export function addBenchOptions(command: Command): Command {
    addDecodingOptions(command, ["maxTokens"]);
    return command
        .addOption(new Option("--prompts <file>", "JSON Lines prompts: {\"id\", \"prompt\", \"reference\"} per line (required)"))
        .addOption(new Option("--limit <n>", "use only the first n prompts").argParser(parsePositiveInteger))
        .addOption(new Option("--rounds <n>", "run every row's prompts n times, llama.cpp's tools and this process's rows in turn each time (the order reversed every other round); " +
            "speeds pool the rounds, and the table shows each").argParser(parsePositiveInteger).default(1))
        .addOption(new Option("--native-bin <dir>", "folder of llama.cpp's own tools for the native-* rows").default(DEFAULT_NATIVE_BIN_DIR, "what `npm run build:native` builds"))
        .addOption(new Option("--grid <key=values...>", `settings to sweep, one row per combination (default: ${gridText(DEFAULT_BENCH_GRID)})`));
}

export async function loadBenchPrompts(options: BenchCliOptions): Promise<EvalPrompt[]> {
    if (options.prompts == null)
        throw new BildUsageError("no prompts: pass --prompts FILE.jsonl (lines of {\"id\", \"prompt\", \"reference\"})");
    const prompts = await readPromptFile(options.prompts);
    return options.limit == null ? prompts : prompts.slice(0, options.limit);
}

export function benchGrid(options: BenchCliOptions): BenchGrid {
    return parseBenchGrid(options.grid ?? []);
}

export const benchMaxTokens = (options: BenchCliOptions) => options.maxTokens ?? DECODING_SETTINGS.maxTokens.default;

/**
 * Loads the prompts and the pair, runs `rows` with a progress bar, and frees the models. Native rows
 * are left out, with a message saying how to build the tools, when the tools are not there.
 */
export async function runBenchFromOptions(
    options: ModelCliOptions & BenchCliOptions, allRows: readonly BenchRowSpec[], label: string
): Promise<{output: BenchOutput, prompts: EvalPrompt[], threads: {big: number, little: number}, flashAttention: {big: FlashAttentionChoice, little: FlashAttentionChoice}}> {
    const prompts = await loadBenchPrompts(options);
    const pair = await loadPairFromOptions(options, BENCH_SEQUENCES);
    try {
        let rows = allRows;
        let native: NativeTools | undefined;
        if (usesRpc(options) && rows.some(isNativeRow)) {
            // Each rpc-server serves one client at a time, and this process holds them.
            process.stderr.write("bild bench: no native rows beside --big-rpc or --little-rpc (an rpc-server serves one client at a time): npm run measure:rpc runs them in turn\n");
            rows = rows.filter((row) => !isNativeRow(row));
        }
        if (typeof pair.big.flashAttention.enabled !== "boolean" && rows.some((row) => isDecoderRow(row) && row.flashAttention != null)) {
            process.stderr.write("bild bench: no rows of our big model with flash attention on and off: llama.cpp chooses it on a GPU or rpc-servers\n");
            rows = rows.filter((row) => !isDecoderRow(row) || row.flashAttention == null);
        }
        if (rows.some(isNativeRow)) {
            const found = await NativeTools.find(options.nativeBin ?? DEFAULT_NATIVE_BIN_DIR, {
                big: pair.big.filePath, little: pair.little.filePath, bigThreads: pair.big.threads, littleThreads: pair.little.threads,
                contextSize: pair.contextSize, batchSize: options.batchSize
            });
            if (typeof found === "string") {
                process.stderr.write(`bild bench: no native rows: ${found}\n`);
                rows = rows.filter((row) => !isNativeRow(row));
            } else
                native = found;
        }
        const rounds = options.rounds ?? 1;
        const progress = startProgress(rows.length * prompts.length * rounds, label);
        const output = await runBench({pair, prompts, rows, maxTokens: benchMaxTokens(options), rounds, native, onProgress: progress.tick})
            .finally(() => progress.stop());
        return {output, prompts, threads: {big: pair.big.threads, little: pair.little.threads}, flashAttention: {big: pair.big.flashAttention, little: pair.little.flashAttention}};
    } finally {
        await pair[Symbol.asyncDispose]();
    }
}
