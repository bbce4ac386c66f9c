import type {Token} from "../../engine/ModelSequence.js";
import type {RandomSource} from "../sampling/RandomSource.js";
import type {TokenChoice} from "../TokenChoice.js";

/**
 * Decides, at each position holding an unverified little-model token, whether the big model
 * overrules it (BiLD's rollback). The first position where it names a token is rolled back to and
 * that token is used there.
 */
export interface RollbackPolicy {
    /**
     * @param big - the big model's choice at that position; `big.scoredNll` is −log p_big(draft token),
     *   `big.distribution` its adjusted distribution when sampling.
     * @param draft - the little model's choice there; `draft.token` is the draft token.
     * @param random - the generation's random numbers (for randomised rules).
     * @returns the token that replaces the draft token, or `undefined` to accept it.
     */
    review(big: TokenChoice, draft: TokenChoice, random: RandomSource): Token | undefined;
}
