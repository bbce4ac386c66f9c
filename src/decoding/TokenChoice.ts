import type {NextTokenFacts} from "../engine/ModelSequence.js";
import type {TokenDistribution} from "./sampling/TokenDistribution.js";

/**
 * A model's pick at one position. Greedy: `token` is the argmax and `topProbability` its probability.
 * Sampling: `token` is drawn from the adjusted distribution, `topProbability` is that distribution's
 * top probability, `scoredNll` is −log p of the scored token under it, and `distribution` is set.
 */
export type TokenChoice = NextTokenFacts & {
    readonly distribution?: TokenDistribution
};
