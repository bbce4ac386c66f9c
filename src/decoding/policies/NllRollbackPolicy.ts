import type {NextTokenFacts, Token} from "../../engine/ModelSequence.js";
import type {RollbackPolicy} from "./RollbackPolicy.js";

/**
 * Default rollback threshold α_RB. The paper sweeps 2–5; on the bundled code pair (see README,
 * "Defaults and why") 2 kept ROUGE-L against the big model's output within a point while
 * halving the rollbacks of a lossless run.
 */
export const DEFAULT_ROLLBACK_THRESHOLD = 2;

/**
 * BiLD's rollback rule: overrule a little token when −log p_big(token) exceeds `threshold` and the
 * big model would have chosen another token. With `threshold = 0` every disagreement with the big
 * model's argmax is overruled, so the output equals the big model's greedy output.
 */
export class NllRollbackPolicy implements RollbackPolicy {
    public readonly threshold: number;

    /** @param threshold - α_RB in nats; `Infinity` never rolls back. Defaults to {@link DEFAULT_ROLLBACK_THRESHOLD}. */
    public constructor(threshold = DEFAULT_ROLLBACK_THRESHOLD) {
        this.threshold = threshold;
    }

    public shouldRollback(big: NextTokenFacts, drafted: Token): boolean {
        return big.token !== drafted && big.scoredNll > this.threshold;
    }
}
