import type {Token} from "../../engine/ModelSequence.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {RollbackPolicy} from "./RollbackPolicy.js";

/**
 * Rollback threshold α_RB of this rule when none is given: the low end of the paper's 2–5 sweep.
 * BiLD's default verification is lossless (see `GenerateOptions.strict`): this rule and threshold
 * apply only when asked for.
 */
export const DEFAULT_ROLLBACK_THRESHOLD = 2;

/**
 * BiLD's rollback rule: overrule a little token when −log p_big(token) exceeds `threshold` and the
 * big model would have chosen another token, and use the big model's token there. With
 * `threshold = 0` every disagreement with the big model's argmax is overruled, so the output equals
 * the big model's greedy output.
 *
 * Under sampling the big model's token is a draw from its adjusted distribution and −log p_big is
 * taken under that distribution (∞ for a token it cuts). Lossy like greedy BiLD with α_RB > 0: a
 * little token the big model finds likely enough is kept even where the big model would have drawn
 * another. At `threshold = 0` the output is exactly big-model sampling, since every position ends
 * up holding the big model's own independent draw, but drafts survive only when the two draws
 * coincide (Σ p·q of the time, against Σ min(p, q) for `SpeculativeSamplingPolicy`).
 */
export class NllRollbackPolicy implements RollbackPolicy {
    public readonly threshold: number;

    /** @param threshold - α_RB in nats; `Infinity` never rolls back. Defaults to {@link DEFAULT_ROLLBACK_THRESHOLD}. */
    public constructor(threshold = DEFAULT_ROLLBACK_THRESHOLD) {
        this.threshold = threshold;
    }

    public review(big: TokenChoice, draft: TokenChoice): Token | undefined {
        return big.token !== draft.token && big.scoredNll > this.threshold ? big.token : undefined;
    }
}
