import {Option, type Command} from "commander";
import type {GenerateOptions} from "../decoding/GenerateOptions.js";
import {DEFAULT_DRAFT_TOKENS, DEFAULT_MAX_TOKENS, DEFAULT_MODE} from "../decoding/GenerateOptions.js";
import {DEFAULT_MAX_LITTLE_TOKENS} from "../decoding/policies/ConfidenceFallbackPolicy.js";
import {DEFAULT_RUN_CONFIDENCE} from "../decoding/policies/DraftConfidencePolicy.js";
import {DECODING_MODES, type DecodingMode} from "../decoding/strategies/DecodingStrategy.js";
import {DEFAULT_MIN_P, DEFAULT_TEMPERATURE, DEFAULT_TOP_K, DEFAULT_TOP_P} from "../decoding/sampling/SamplingOptions.js";
import {parseInteger, parseNumber, parsePositiveInteger, parsePositiveIntegerOrInfinity} from "./parseNumbers.js";

export type DecodingCliOptions = {
    mode: DecodingMode,
    fallback?: number,
    rollback?: number,
    maxLittle: number,
    runConfidence?: number,
    draft: number,
    maxTokens: number,
    stop?: string[],
    temperature: number,
    topP: number,
    topK: number,
    minP: number,
    seed?: number,
    strict?: boolean
};

/** The options that choose and tune a decoding strategy. */
export function addDecodingOptions(command: Command): Command {
    return command
        .addOption(new Option("--mode <mode>", "decoding strategy").choices(DECODING_MODES).default(DEFAULT_MODE))
        // No commander defaults for the rules below: which of them the user gave picks the rule
        // (--fallback: the paper's drafting rule; --rollback: the paper's lossy verification).
        .addOption(new Option("--fallback <p>",
            `BiLD, the paper's drafting rule: little top probability below α_FB hands over to big (>1: always) (default: --run-confidence ${DEFAULT_RUN_CONFIDENCE})`)
            .argParser((value) => parseNumber(value)))
        .addOption(new Option("--run-confidence <p>",
            `BiLD: draft while the product of the little model's probabilities stays ≥ p and verify the token that crosses it (default: ${DEFAULT_RUN_CONFIDENCE}, unless --fallback)`)
            .argParser((value) => parseNumber(value)))
        .addOption(new Option("--rollback <nats>",
            "BiLD, the paper's lossy verification: keep a little token unless −log p_big exceeds α_RB (0: output identical to big; inf: never roll back) (default: lossless, see --strict)")
            .argParser((value) => parseNumber(value, true)))
        .addOption(new Option("--strict", "BiLD: verify with the speculative-sampling rule: output equal to big's (greedy) or distributed exactly as it (sampling); the default unless --rollback"))
        .addOption(new Option("--max-little <n>", "BiLD: most little tokens in a row (inf: no limit)")
            .argParser(parsePositiveIntegerOrInfinity).default(DEFAULT_MAX_LITTLE_TOKENS))
        .addOption(new Option("--draft <k>", "speculative: tokens drafted per big call").argParser(parsePositiveInteger).default(DEFAULT_DRAFT_TOKENS))
        .addOption(new Option("--max-tokens <n>", "most tokens to generate").argParser(parsePositiveInteger).default(DEFAULT_MAX_TOKENS))
        .addOption(new Option("--stop <text...>", "stop at this string (repeatable; not part of the output)"))
        .addOption(new Option("--temperature <t>", "sampling temperature (0: greedy)").argParser((value) => parseNumber(value)).default(DEFAULT_TEMPERATURE))
        .addOption(new Option("--top-p <p>", "sampling: keep the most likely tokens up to this total probability (1: off)")
            .argParser((value) => parseNumber(value)).default(DEFAULT_TOP_P))
        .addOption(new Option("--top-k <k>", "sampling: keep the k most likely tokens (0: off, exact but slow on big vocabularies)").argParser(parseInteger).default(DEFAULT_TOP_K))
        .addOption(new Option("--min-p <p>", "sampling: drop tokens below this fraction of the top probability (0: off)")
            .argParser((value) => parseNumber(value)).default(DEFAULT_MIN_P))
        .addOption(new Option("--seed <n>", "sampling: random seed; the same seed gives the same output (default: random, shown by --stats)")
            .argParser(parseInteger));
}

export function toGenerateOptions(options: DecodingCliOptions): GenerateOptions {
    return {
        mode: options.mode,
        fallbackThreshold: options.fallback,
        rollbackThreshold: options.rollback,
        maxLittleTokens: options.maxLittle,
        runConfidence: options.runConfidence,
        draftTokens: options.draft,
        maxTokens: options.maxTokens,
        stop: options.stop,
        temperature: options.temperature,
        topP: options.topP,
        topK: options.topK,
        minP: options.minP,
        seed: options.seed,
        strict: options.strict
    };
}
