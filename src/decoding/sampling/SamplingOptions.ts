import {randomInt} from "node:crypto";
import {BildUsageError} from "../../errors.js";

/** Greedy decoding: the default, and what every lossless guarantee of BiLD is stated for. */
export const DEFAULT_TEMPERATURE = 0;
/** Nucleus sampling off. */
export const DEFAULT_TOP_P = 1;
/**
 * llama.cpp's and node-llama-cpp's default. It also keeps sampling cheap: the engine cuts the top k
 * natively, while the whole vocabulary (top-k 0) costs ≈2.6 ms per position at 4k tokens and
 * ≈75 ms at 152k on the reference machine (docs/benchmarks.md, "Sampling cost").
 */
export const DEFAULT_TOP_K = 40;
/** Min-p off. */
export const DEFAULT_MIN_P = 0;
/** Largest seed accepted: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * How each model's next-token distribution is adjusted before a token is drawn from it. The order
 * is the one of Hugging Face transformers and of the speculative-sampling papers: temperature,
 * then top-k, then top-p, then min-p (node-llama-cpp applies temperature last, so its top-p keeps
 * a different set at temperatures other than 1).
 */
export type SamplingOptions = {
    /** Softmax temperature; 0 picks the most likely token (greedy). Defaults to {@link DEFAULT_TEMPERATURE}. */
    readonly temperature?: number,
    /** Keep the smallest set of most likely tokens whose probability adds up to at least this. Defaults to {@link DEFAULT_TOP_P}. */
    readonly topP?: number,
    /** Keep only the k most likely tokens; 0 keeps all (exact, but costs a vocabulary-sized read per position). Defaults to {@link DEFAULT_TOP_K}. */
    readonly topK?: number,
    /** Drop tokens less likely than this fraction of the most likely one. Defaults to {@link DEFAULT_MIN_P}. */
    readonly minP?: number,
    /**
     * Seed of the generation's random numbers: the same seed and settings give the same output.
     * A seeded generation evaluates its prompt without the cached prefix (see `Decoder`). Defaults
     * to a random seed, reported in the result.
     */
    readonly seed?: number
};

/** The settings that shape a distribution (everything but the randomness). */
export type DistributionSettings = Pick<SamplingSettings, "temperature" | "topP" | "topK" | "minP">;

/** Sampling settings with defaults applied; `temperature > 0` (greedy decoding has none). */
export type SamplingSettings = {
    readonly temperature: number,
    readonly topP: number,
    readonly topK: number,
    readonly minP: number,
    readonly seed: number,
    /** The caller chose the seed, so expects the generation to replay exactly. */
    readonly seeded: boolean
};

/** Validates the options; `undefined` means greedy decoding (temperature 0). */
export function resolveSampling(options: SamplingOptions): SamplingSettings | undefined {
    const temperature = options.temperature ?? DEFAULT_TEMPERATURE;
    if (!(temperature >= 0) || !Number.isFinite(temperature))
        throw new BildUsageError(`temperature must be a finite number ≥ 0 (0 = greedy), got ${temperature}`);
    const topP = options.topP ?? DEFAULT_TOP_P;
    if (!(topP > 0 && topP <= 1))
        throw new BildUsageError(`top-p must be a probability above 0 and at most 1 (1 = off), got ${topP}`);
    const topK = options.topK ?? DEFAULT_TOP_K;
    if (!Number.isInteger(topK) || topK < 0)
        throw new BildUsageError(`top-k must be an integer ≥ 0 (0 = off), got ${topK}`);
    const minP = options.minP ?? DEFAULT_MIN_P;
    if (!(minP >= 0 && minP <= 1))
        throw new BildUsageError(`min-p must be a probability from 0 to 1 (0 = off), got ${minP}`);
    const {seed} = options;
    if (seed != null && !(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED))
        throw new BildUsageError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
    if (temperature === 0)
        return undefined;
    return {temperature, topP, topK, minP, seed: seed ?? randomInt(MAX_SEED), seeded: seed != null};
}
