import {Option, type Command} from "commander";
import {DEFAULT_BILD_GRID, parseBildGrid, type BildGrid} from "../eval/benchRows.js";
import type {BenchRowSpec} from "../eval/benchTypes.js";
import {BENCH_SEQUENCES, runBench, type BenchOutput} from "../eval/runBench.js";
import {startProgress} from "./benchProgress.js";
import {loadPairFromOptions, type ModelCliOptions} from "./modelOptions.js";
import {readPromptFile, type EvalPrompt} from "../eval/promptFile.js";
import {BildUsageError} from "../errors.js";
import {parsePositiveInteger} from "./parseNumbers.js";

export const DEFAULT_BENCH_MAX_TOKENS = 128;

export type BenchCliOptions = {
    prompts?: string,
    maxTokens: number,
    limit?: number,
    grid?: string[]
};

const gridText = (grid: BildGrid) => `fallback=${grid.fallback.join(",")} rollback=${grid.rollback.join(",")} max-little=${grid.maxLittle.join(",")}`;

/** Options shared by `bench` and `tune`: the prompts, the token budget and the BiLD grid. */
export function addBenchOptions(command: Command): Command {
    return command
        .addOption(new Option("--prompts <file>", "JSON Lines prompts: {\"id\", \"prompt\", \"reference\"} per line (required)"))
        .addOption(new Option("--max-tokens <n>", "tokens to generate per prompt").argParser(parsePositiveInteger).default(DEFAULT_BENCH_MAX_TOKENS))
        .addOption(new Option("--limit <n>", "use only the first n prompts").argParser(parsePositiveInteger))
        .addOption(new Option("--grid <key=values...>", `BiLD grid (default: ${gridText(DEFAULT_BILD_GRID)})`));
}

export async function loadBenchPrompts(options: BenchCliOptions): Promise<EvalPrompt[]> {
    if (options.prompts == null)
        throw new BildUsageError("no prompts: pass --prompts FILE.jsonl (lines of {\"id\", \"prompt\", \"reference\"})");
    const prompts = await readPromptFile(options.prompts);
    return options.limit == null ? prompts : prompts.slice(0, options.limit);
}

export function benchGrid(options: BenchCliOptions): BildGrid {
    return parseBildGrid(options.grid ?? []);
}

/** Loads the prompts and the pair, runs `rows` with a progress bar, and frees the models. */
export async function runBenchFromOptions(
    options: ModelCliOptions & BenchCliOptions, rows: readonly BenchRowSpec[], label: string
): Promise<{output: BenchOutput, prompts: EvalPrompt[]}> {
    const prompts = await loadBenchPrompts(options);
    const pair = await loadPairFromOptions(options, BENCH_SEQUENCES);
    try {
        const progress = startProgress(rows.length * prompts.length, label);
        const output = await runBench({pair, prompts, rows, maxTokens: options.maxTokens, onProgress: progress.tick})
            .finally(() => progress.stop());
        return {output, prompts};
    } finally {
        await pair[Symbol.asyncDispose]();
    }
}
