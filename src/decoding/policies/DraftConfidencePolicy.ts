import type {NextTokenFacts} from "../../engine/ModelSequence.js";
import {DECODING_SETTINGS} from "../settings/decodingSettings.js";
import {DEFAULT_MAX_LITTLE_TOKENS} from "./ConfidenceFallbackPolicy.js";
import type {DraftDecision, FallbackPolicy} from "./FallbackPolicy.js";

/** Default floor on the product of the run's little-model probabilities: the `runConfidence` setting's. */
export const DEFAULT_RUN_CONFIDENCE: number = DECODING_SETTINGS.runConfidence.default;

/**
 * A fallback rule that drafts while the little model's confidence in the whole run (the product of
 * its top probabilities since the big model last ran) stays above `runConfidence`, and sends the
 * token that crosses the floor to the big model with the rest instead of dropping it.
 *
 * Why: a draft token costs one little call plus one more position in the big model's batch, and
 * saves a whole big-model step when it is accepted. The paper's rule stops at the first unsure token
 * and throws it away, which wastes the tokens the little model gets right while unsure (most of
 * them, on both bundled pairs) and re-runs the big model after every such token. On the
 * bundled Python pair it beats the paper's rule at its best threshold (docs/defaults.md).
 */
export class DraftConfidencePolicy implements FallbackPolicy {
    public readonly runConfidence: number;
    public readonly maxLittleTokens: number;
    #runProbability = 1;

    /**
     * @param runConfidence - floor on the product of the run's top probabilities. Defaults to {@link DEFAULT_RUN_CONFIDENCE}.
     * @param maxLittleTokens - draft run length limit. Defaults to {@link DEFAULT_MAX_LITTLE_TOKENS}.
     */
    public constructor(runConfidence = DEFAULT_RUN_CONFIDENCE, maxLittleTokens = DEFAULT_MAX_LITTLE_TOKENS) {
        this.runConfidence = runConfidence;
        this.maxLittleTokens = maxLittleTokens;
    }

    public beforeDraft(draftedInRow: number): boolean {
        return draftedInRow >= this.maxLittleTokens;
    }

    public onDraft(draft: NextTokenFacts, draftedInRow: number): DraftDecision {
        this.#runProbability = (draftedInRow === 0 ? 1 : this.#runProbability) * draft.topProbability;
        return this.#runProbability >= this.runConfidence ? "continue" : "keepAndVerify";
    }
}
