import type {GenerateOptions} from "./GenerateOptions.js";
import {ConfidenceFallbackPolicy} from "./policies/ConfidenceFallbackPolicy.js";
import {DraftConfidencePolicy} from "./policies/DraftConfidencePolicy.js";
import type {FallbackPolicy} from "./policies/FallbackPolicy.js";
import {NllRollbackPolicy} from "./policies/NllRollbackPolicy.js";
import type {RollbackPolicy} from "./policies/RollbackPolicy.js";
import {SpeculativeSamplingPolicy} from "./policies/SpeculativeSamplingPolicy.js";
import {samplingOf, type SamplingSettings} from "./sampling/SamplingOptions.js";
import {checkSettings, DECODING_SETTINGS, modeOf} from "./settings/decodingSettings.js";
import type {DecodingMode} from "./strategies/DecodingStrategy.js";

/** The rules of a draft-and-verify generation (`bild` and `speculative` modes). */
export type DraftVerifyRules = {readonly fallback: FallbackPolicy, readonly rollback: RollbackPolicy};

/**
 * What one generation runs: the settings checked, defaults applied, and the mode turned into its
 * strategy's rules, once. Made by {@link planDecoding}; a `Decoder` runs it as it is. Its policies
 * may keep state within a generation, so a plan serves one generation at a time.
 */
export class DecodingPlan {
    public constructor(
        public readonly mode: DecodingMode,
        public readonly maxTokens: number,
        public readonly stop: readonly string[],
        /** `undefined`: greedy. */
        public readonly sampling: SamplingSettings | undefined,
        /** Set in `bild` and `speculative` modes. */
        public readonly rules: DraftVerifyRules | undefined,
        /** Seconds; `Infinity` for none. */
        public readonly timeLimit: number,
        public readonly signal: AbortSignal | undefined,
        /** Special tokens written in prompt text are read as tokens. */
        public readonly specialTokens: boolean
    ) {}
}

/**
 * Checks `options` (each setting's range, settings that would be ignored in the chosen mode, two
 * alternatives of one rule) and turns them into the plan a `Decoder` runs. Throws a
 * `BildUsageError` naming the setting and the fix.
 */
export function planDecoding(options: GenerateOptions = {}): DecodingPlan {
    const mode = modeOf(options);
    checkSettings(options, mode, {drafting: options.fallbackPolicy, verification: options.rollbackPolicy});
    return new DecodingPlan(
        mode,
        options.maxTokens ?? DECODING_SETTINGS.maxTokens.default,
        options.stop ?? [],
        samplingOf(options),
        rulesOf(mode, options),
        options.timeLimit ?? Number.POSITIVE_INFINITY,
        options.signal,
        options.specialTokens ?? DECODING_SETTINGS.specialTokens.default
    );
}

function rulesOf(mode: DecodingMode, options: GenerateOptions): DraftVerifyRules | undefined {
    if (mode === "speculative")
        // Classic speculative decoding / sampling: always draft k tokens, verify strictly.
        return {
            fallback: new ConfidenceFallbackPolicy(0, options.draftTokens ?? DECODING_SETTINGS.draftTokens.default),
            rollback: new SpeculativeSamplingPolicy()
        };
    if (mode !== "bild")
        return undefined;
    const maxLittleTokens = options.maxLittleTokens ?? DECODING_SETTINGS.maxLittleTokens.default;
    const {fallbackThreshold, rollbackThreshold} = options;
    return {
        fallback: options.fallbackPolicy ?? (fallbackThreshold == null
            ? new DraftConfidencePolicy(options.runConfidence ?? DECODING_SETTINGS.runConfidence.default, maxLittleTokens)
            : new ConfidenceFallbackPolicy(fallbackThreshold, maxLittleTokens)),
        rollback: options.rollbackPolicy ?? (options.strict ?? rollbackThreshold == null
            ? new SpeculativeSamplingPolicy()
            : new NllRollbackPolicy(rollbackThreshold ?? 0))
    };
}
