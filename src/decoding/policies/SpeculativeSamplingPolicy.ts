import type {Token} from "../../engine/ModelSequence.js";
import type {RandomSource} from "../sampling/RandomSource.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {RollbackPolicy} from "./RollbackPolicy.js";

/**
 * `strict` verification, the speculative-sampling rule (Leviathan et al. 2023, Chen et al. 2023):
 * accept a draft token x with probability min(1, p_big(x) / p_little(x)), otherwise replace it by a
 * draw from norm(max(0, p_big − p_little)). Each position then holds a draw from the big model's
 * adjusted distribution, exactly, whatever the little model proposes.
 *
 * This holds only while the decision to draft or drop a token does not depend on the token drawn:
 * the bundled fallback policies look at the little model's top probability, not at its draw.
 *
 * Greedy choices carry no distributions: then p and p_little are one-hot and the rule reduces to
 * accepting exact matches with the big model's argmax.
 */
export class SpeculativeSamplingPolicy implements RollbackPolicy {
    public review(big: TokenChoice, draft: TokenChoice, random: RandomSource): Token | undefined {
        const p = big.distribution;
        const q = draft.distribution;
        if (p == null || q == null)
            return big.token === draft.token ? undefined : big.token;
        // u < p/q, without dividing (q(x) > 0: x was drawn from q).
        if (random.next() * q.probabilityOf(draft.token) < p.probabilityOf(draft.token))
            return undefined;
        // No mass in p − q means p ≤ q nowhere strictly, i.e. p = q, where the test above cannot fail
        // except by rounding: then any draw from p is the right one.
        return (p.residual(q) ?? p).sample(random.next());
    }
}
