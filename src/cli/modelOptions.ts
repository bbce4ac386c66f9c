import {Option, type Command} from "commander";
import {ModelPair, type PairEngineSettings} from "../engine/ModelPair.js";
import {DEFAULT_BATCH_SIZE, DEFAULT_CONTEXT_SIZE, DEFAULT_THREADS} from "../engine/EngineSettings.js";
import {BUNDLED_BIG_MODEL, BUNDLED_LITTLE_MODEL, bundledLabel} from "./bundledModels.js";
import {parsePositiveInteger} from "./parseNumbers.js";

export type ModelCliOptions = {
    big: string,
    little: string,
    threads: number,
    bigThreads?: number,
    littleThreads?: number,
    contextSize: number,
    batchSize: number
};

/** The options every command that loads a model pair takes. */
export function addModelOptions(command: Command): Command {
    return command
        .addOption(new Option("--big <path>", "big model: GGUF path or hf: URI").default(BUNDLED_BIG_MODEL, bundledLabel(BUNDLED_BIG_MODEL)))
        .addOption(new Option("--little <path>", "little model: GGUF path or hf: URI").default(BUNDLED_LITTLE_MODEL, bundledLabel(BUNDLED_LITTLE_MODEL)))
        .addOption(new Option("--threads <n>", "CPU threads per model").argParser(parsePositiveInteger).default(DEFAULT_THREADS))
        .addOption(new Option("--big-threads <n>", "CPU threads of the big model (default: --threads)").argParser(parsePositiveInteger))
        .addOption(new Option("--little-threads <n>", "CPU threads of the little model (default: --threads)").argParser(parsePositiveInteger))
        .addOption(new Option("--context-size <n>", "KV cache tokens per sequence").argParser(parsePositiveInteger).default(DEFAULT_CONTEXT_SIZE))
        .addOption(new Option("--batch-size <n>", "largest llama.cpp batch").argParser(parsePositiveInteger).default(DEFAULT_BATCH_SIZE));
}

export function loadPairFromOptions(options: ModelCliOptions, sequences?: number): Promise<ModelPair> {
    const settings: PairEngineSettings = {
        threads: options.threads, contextSize: options.contextSize, batchSize: options.batchSize, sequences,
        big: {threads: options.bigThreads ?? options.threads},
        little: {threads: options.littleThreads ?? options.threads}
    };
    return ModelPair.load({big: options.big, little: options.little}, settings);
}
