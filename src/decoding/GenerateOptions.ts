import {BildUsageError} from "../errors.js";
import {ConfidenceFallbackPolicy, DEFAULT_MAX_LITTLE_TOKENS} from "./policies/ConfidenceFallbackPolicy.js";
import {NllRollbackPolicy} from "./policies/NllRollbackPolicy.js";
import type {FallbackPolicy} from "./policies/FallbackPolicy.js";
import {DEFAULT_RUN_CONFIDENCE, DraftConfidencePolicy} from "./policies/DraftConfidencePolicy.js";
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
    /**
     * BiLD α_FB, the paper's fallback rule ({@link ConfidenceFallbackPolicy}): fall back when the
     * little model's top probability is below it (above 1: always). Give it or `runConfidence`, not
     * both. Unset (and `runConfidence` unset): the run-confidence rule at {@link DEFAULT_RUN_CONFIDENCE}.
     */
    readonly fallbackThreshold?: number,
    /**
     * BiLD α_RB in nats, the paper's rollback rule ({@link NllRollbackPolicy}): roll back where
     * −log p_big(little token) exceeds it and the big model disagrees. 0 is lossless under greedy
     * decoding; above 0 trades the big model's output for speed. Unset: lossless verification
     * (see `strict`).
     */
    readonly rollbackThreshold?: number,
    /**
     * BiLD's drafting rule ({@link DraftConfidencePolicy}): draft while the product of the run's
     * little-model top probabilities stays at or above this, and send the token that crosses it to
     * the big model instead of dropping it. Defaults to {@link DEFAULT_RUN_CONFIDENCE} unless
     * `fallbackThreshold` is given.
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
     * BiLD: verify with the speculative-sampling rule ({@link SpeculativeSamplingPolicy}), so that
     * the output is the big model's own: under greedy decoding equal to it, under sampling
     * distributed exactly as it. `speculative` mode always verifies this way. Defaults to `true`
     * unless `rollbackThreshold` or `rollbackPolicy` is given; `false` with neither is the paper's
     * rule at α_RB = 0 (also lossless, but under sampling it keeps fewer drafts).
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

    const {fallbackThreshold, rollbackThreshold} = options;
    if (fallbackThreshold != null && (!(fallbackThreshold >= 0) || fallbackThreshold === Number.POSITIVE_INFINITY))
        throw new BildUsageError(`fallback threshold must be a probability ≥ 0 (above 1 always falls back), got ${fallbackThreshold}`);
    if (rollbackThreshold != null && !(rollbackThreshold >= 0))
        throw new BildUsageError(`rollback threshold must be ≥ 0 nats (0 = lossless, Infinity = never roll back), got ${rollbackThreshold}`);
    const maxLittleTokens = options.maxLittleTokens ?? DEFAULT_MAX_LITTLE_TOKENS;
    if (maxLittleTokens !== Number.POSITIVE_INFINITY)
        requirePositiveInteger("max little tokens", maxLittleTokens);
    if (options.runConfidence != null && !(options.runConfidence >= 0 && options.runConfidence <= 1))
        throw new BildUsageError(`run confidence must be a probability from 0 to 1, got ${options.runConfidence}`);
    if (options.runConfidence != null && fallbackThreshold != null)
        throw new BildUsageError("run confidence and the fallback threshold are two drafting rules: give one of them, not both");
    const draftTokens = options.draftTokens ?? DEFAULT_DRAFT_TOKENS;
    requirePositiveInteger("draft tokens", draftTokens);
    const sampling = resolveSampling(options);
    const lossy = rollbackThreshold != null || options.rollbackPolicy != null;
    if (options.strict === true && (mode === "big" || mode === "little"))
        throw new BildUsageError(`strict verification applies to bild and speculative modes, not to ${mode}: drop strict or change the mode`);
    if (options.strict === true && lossy)
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
        fallbackPolicy: options.fallbackPolicy ?? (fallbackThreshold == null
            ? new DraftConfidencePolicy(options.runConfidence ?? DEFAULT_RUN_CONFIDENCE, maxLittleTokens)
            : new ConfidenceFallbackPolicy(fallbackThreshold, maxLittleTokens)),
        rollbackPolicy: options.rollbackPolicy ?? (options.strict ?? !lossy
            ? new SpeculativeSamplingPolicy()
            : new NllRollbackPolicy(rollbackThreshold ?? 0))
    };
}

function requirePositiveInteger(name: string, value: number): void {
    if (!Number.isInteger(value) || value <= 0)
        throw new BildUsageError(`${name} must be a positive integer, got ${value}`);
}
