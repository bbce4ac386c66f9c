import type {NextTokenFacts} from "../../engine/ModelSequence.js";
import type {DraftDecision, FallbackPolicy} from "./FallbackPolicy.js";
import {DECODING_SETTINGS} from "../settings/decodingSettings.js";

/** The paper's default fallback threshold α_FB. */
export const DEFAULT_FALLBACK_THRESHOLD = 0.6;
/** Default limit on consecutive little-model tokens: the `maxLittleTokens` setting's, the paper's. */
export const DEFAULT_MAX_LITTLE_TOKENS: number = DECODING_SETTINGS.maxLittleTokens.default;

/**
 * BiLD's fallback rule: fall back when the little model's top probability is below `threshold`, or
 * when it has drafted `maxLittleTokens` in a row.
 *
 * Classic speculative decoding is the same rule with `threshold = 0` (never unsure) and
 * `maxLittleTokens = k`.
 */
export class ConfidenceFallbackPolicy implements FallbackPolicy {
    public readonly threshold: number;
    public readonly maxLittleTokens: number;

    /**
     * @param threshold - α_FB, a probability; above 1 always falls back. Defaults to {@link DEFAULT_FALLBACK_THRESHOLD}.
     * @param maxLittleTokens - draft run length limit; `Infinity` for none. Defaults to {@link DEFAULT_MAX_LITTLE_TOKENS}.
     */
    public constructor(threshold = DEFAULT_FALLBACK_THRESHOLD, maxLittleTokens = DEFAULT_MAX_LITTLE_TOKENS) {
        this.threshold = threshold;
        this.maxLittleTokens = maxLittleTokens;
    }

    public beforeDraft(draftedInRow: number): boolean {
        return draftedInRow >= this.maxLittleTokens;
    }

    public onDraft(draft: NextTokenFacts): DraftDecision {
        return draft.topProbability < this.threshold ? "dropAndVerify" : "continue";
    }
}
