import type {NextTokenFacts} from "../../engine/ModelSequence.js";
import type {Token} from "../../engine/ModelSequence.js";

/**
 * Decides, at each position holding an unverified little-model token, whether the big model
 * overrules it (BiLD's rollback). The first position where it returns `true` is rolled back to and
 * the big model's token is used there.
 */
export interface RollbackPolicy {
    /**
     * @param big - the big model's facts at that position; `big.scoredNll` is −log p_big(drafted).
     * @param drafted - the little model's token at that position.
     */
    shouldRollback(big: NextTokenFacts, drafted: Token): boolean;
}
