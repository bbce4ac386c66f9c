import {BildUsageError} from "../errors.js";
import {ConfidenceFallbackPolicy, DEFAULT_FALLBACK_THRESHOLD, DEFAULT_MAX_LITTLE_TOKENS} from "./policies/ConfidenceFallbackPolicy.js";
import {DEFAULT_ROLLBACK_THRESHOLD, NllRollbackPolicy} from "./policies/NllRollbackPolicy.js";
import type {FallbackPolicy} from "./policies/FallbackPolicy.js";
import {DraftConfidencePolicy} from "./policies/DraftConfidencePolicy.js";
import type {RollbackPolicy} from "./policies/RollbackPolicy.js";
import {SpeculativeSamplingPolicy} from "./policies/SpeculativeSamplingPolicy.js";
import {resolveSampling, type SamplingOptions, type SamplingSettings} from "./sampling/SamplingOptions.js";
import {DECODING_MODES, type DecodingMode} from "./strategies/DecodingStrategy.js";

export const DEFAULT_MODE: DecodingMode = "bild";
export const DEFAULT_MAX_TOKENS = 128;
/** Draft length k of `speculative` mode. */
export const DEFAULT_DRAFT_TOKENS = 4;

export type GenerateOptions = SamplingOptions & {
    /** Decoding strategy. Defaults to {@link DEFAULT_MODE}. */
    readonly mode?: DecodingMode,
    /** Most tokens to generate. Defaults to {@link DEFAULT_MAX_TOKENS}. */
    readonly maxTokens?: number,
    /** Generation ends at the first of these strings, which is not part of the text. Defaults to none. */
    readonly stop?: readonly string[],
    /** Aborts the generation between model calls; the promise rejects with the signal's reason. */
    readonly signal?: AbortSignal,
    /** BiLD α_FB: fall back when the little model's top probability is below it (above 1: always). Defaults to {@link DEFAULT_FALLBACK_THRESHOLD}. */
    readonly fallbackThreshold?: number,
    /** BiLD α_RB in nats: roll back where −log p_big(little token) exceeds it and big disagrees (0: lossless). Defaults to {@link DEFAULT_ROLLBACK_THRESHOLD}. */
    readonly rollbackThreshold?: number,
    /**
     * BiLD: replace the paper's fallback rule with {@link DraftConfidencePolicy}: draft while the
     * product of the run's little-model probabilities stays at or above this, and send the token
     * that crosses it to the big model instead of dropping it. Unset: the paper's rule.
     */
    readonly runConfidence?: number,
    /** BiLD: most little tokens in a row before the big model runs (`Infinity`: no limit). Defaults to {@link DEFAULT_MAX_LITTLE_TOKENS}. */
    readonly maxLittleTokens?: number,
    /** Speculative: tokens drafted per big call. Defaults to {@link DEFAULT_DRAFT_TOKENS}. */
    readonly draftTokens?: number,
    /** BiLD: a custom fallback policy, replacing `fallbackThreshold` / `maxLittleTokens`. */
    readonly fallbackPolicy?: FallbackPolicy,
    /** BiLD: a custom rollback policy, replacing `rollbackThreshold`. */
    readonly rollbackPolicy?: RollbackPolicy,
    /**
     * BiLD: verify with the speculative-sampling rule ({@link SpeculativeSamplingPolicy}) instead of
     * the rollback threshold, so that the output is distributed exactly as the big model's own
     * (greedy: equal to it). `speculative` mode always verifies this way. Defaults to `false`.
     */
    readonly strict?: boolean
};

/** Options with defaults applied, validated, and thresholds turned into policies. */
export type ResolvedGenerateOptions = {
    readonly mode: DecodingMode,
    readonly maxTokens: number,
    readonly stop: readonly string[],
    readonly signal: AbortSignal | undefined,
    /** `undefined`: greedy. */
    readonly sampling: SamplingSettings | undefined,
    readonly fallbackPolicy: FallbackPolicy,
    readonly rollbackPolicy: RollbackPolicy
};

export function resolveGenerateOptions(options: GenerateOptions): ResolvedGenerateOptions {
    const mode = options.mode ?? DEFAULT_MODE;
    if (!DECODING_MODES.includes(mode))
        throw new BildUsageError(`unknown mode "${mode}": use one of ${DECODING_MODES.join(", ")}`);
    const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
    requirePositiveInteger("max tokens", maxTokens);
    const stop = options.stop ?? [];
    if (stop.some((s) => typeof s !== "string" || s.length === 0))
        throw new BildUsageError("stop strings must be non-empty strings");

    const fallbackThreshold = options.fallbackThreshold ?? DEFAULT_FALLBACK_THRESHOLD;
    if (!(fallbackThreshold >= 0) || fallbackThreshold === Number.POSITIVE_INFINITY)
        throw new BildUsageError(`fallback threshold must be a probability ≥ 0 (above 1 always falls back), got ${fallbackThreshold}`);
    const rollbackThreshold = options.rollbackThreshold ?? DEFAULT_ROLLBACK_THRESHOLD;
    if (!(rollbackThreshold >= 0))
        throw new BildUsageError(`rollback threshold must be ≥ 0 nats (0 = lossless, Infinity = never roll back), got ${rollbackThreshold}`);
    const maxLittleTokens = options.maxLittleTokens ?? DEFAULT_MAX_LITTLE_TOKENS;
    if (maxLittleTokens !== Number.POSITIVE_INFINITY)
        requirePositiveInteger("max little tokens", maxLittleTokens);
    const {runConfidence} = options;
    if (runConfidence != null && !(runConfidence >= 0 && runConfidence <= 1))
        throw new BildUsageError(`run confidence must be a probability from 0 to 1, got ${runConfidence}`);
    const draftTokens = options.draftTokens ?? DEFAULT_DRAFT_TOKENS;
    requirePositiveInteger("draft tokens", draftTokens);
    const sampling = resolveSampling(options);
    const strict = options.strict ?? false;
    if (strict && (mode === "big" || mode === "little"))
        throw new BildUsageError(`strict verification applies to bild and speculative modes, not to ${mode}: drop strict or change the mode`);
    if (strict && (options.rollbackThreshold != null || options.rollbackPolicy != null))
        throw new BildUsageError("strict verification replaces the rollback threshold: give one of them, not both");

    const common = {mode, maxTokens, stop, signal: options.signal, sampling};
    if (mode === "speculative")
        return {
            ...common,
            // Classic speculative decoding / sampling: always draft k tokens, verify strictly.
            fallbackPolicy: new ConfidenceFallbackPolicy(0, draftTokens),
            rollbackPolicy: new SpeculativeSamplingPolicy()
        };
    return {
        ...common,
        fallbackPolicy: options.fallbackPolicy ?? (runConfidence == null
            ? new ConfidenceFallbackPolicy(fallbackThreshold, maxLittleTokens)
            : new DraftConfidencePolicy(runConfidence, maxLittleTokens)),
        rollbackPolicy: options.rollbackPolicy ?? (strict ? new SpeculativeSamplingPolicy() : new NllRollbackPolicy(rollbackThreshold))
    };
}

function requirePositiveInteger(name: string, value: number): void {
    if (!Number.isInteger(value) || value <= 0)
        throw new BildUsageError(`${name} must be a positive integer, got ${value}`);
}
