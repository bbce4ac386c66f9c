import type {RollbackPolicy} from "../../src/decoding/policies/RollbackPolicy.js";
import type {RandomSource} from "../../src/decoding/sampling/RandomSource.js";
import type {TokenChoice} from "../../src/decoding/TokenChoice.js";

/**
 * A deliberately wrong speculative-sampling rule for the exactness tests to catch: on rejection it
 * draws from the big model's distribution instead of norm(max(0, p − q)), which over-weights the
 * tokens the little model already proposes too often.
 */
export class ResampleFromBigPolicy implements RollbackPolicy {
    public review(big: TokenChoice, draft: TokenChoice, random: RandomSource) {
        const p = big.distribution!;
        const q = draft.distribution!;
        if (random.next() * q.probabilityOf(draft.token) < p.probabilityOf(draft.token))
            return undefined;
        return p.sample(random.next());
    }
}
