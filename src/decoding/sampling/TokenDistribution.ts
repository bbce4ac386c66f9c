import type {LogitPairs, Token} from "../../engine/ModelSequence.js";
import type {DistributionSettings} from "./SamplingOptions.js";

/**
 * A next-token distribution after the sampling adjustments, over the tokens it keeps (every other
 * token has probability 0). This is the one place where bild turns raw logits into probabilities
 * for sampling: temperature, then top-k, then top-p, then min-p, then renormalisation.
 *
 * Kept tokens are stored in the order they came in, not sorted: sampling walks the cumulative sum
 * in any order, so a full-vocabulary distribution (150k tokens with no top-k) costs a few linear
 * passes and one typed-array sort, and only when top-p asks for it.
 */
export class TokenDistribution {
    readonly #tokens: Int32Array;
    readonly #probabilities: Float64Array;
    readonly #top: number;
    #index: Map<Token, number> | undefined;

    private constructor(tokens: Int32Array, probabilities: Float64Array) {
        this.#tokens = tokens;
        this.#probabilities = probabilities;
        let top = 0;
        for (let i = 1; i < probabilities.length; i++)
            if (probabilities[i]! > probabilities[top]!)
                top = i;
        this.#top = top;
    }

    /** Applies `settings` to raw logits. */
    public static fromLogits(pairs: LogitPairs, settings: DistributionSettings): TokenDistribution {
        const {temperature, topK, topP, minP} = settings;
        let count = pairs.length / 2;
        if (count < 1 || !Number.isInteger(count))
            throw new RangeError(`expected [token, logit] pairs, got an array of ${pairs.length} numbers`);
        let tokens = new Int32Array(count);
        let scaled = new Float64Array(count);
        let logitMax = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < count; i++)
            logitMax = Math.max(logitMax, pairs[2 * i + 1]!);
        // (l − l_max) / T, not l / T: a denormal temperature would make l / T infinite (and the
        // weights NaN); this way it tends to the greedy choice, as it should.
        for (let i = 0; i < count; i++) {
            tokens[i] = pairs[2 * i]!;
            scaled[i] = (pairs[2 * i + 1]! - logitMax) / temperature;
        }
        if (topK > 0 && topK < count) {
            const order = [...scaled.keys()].sort((a, b) => scaled[b]! - scaled[a]!).slice(0, topK);
            tokens = Int32Array.from(order, (i) => tokens[i]!);
            scaled = Float64Array.from(order, (i) => scaled[i]!);
            count = topK;
        }
        let max = Number.NEGATIVE_INFINITY;
        for (const value of scaled)
            max = Math.max(max, value);
        // In place: the scaled logits become weights exp(l/T − max), the most likely token's 1.
        const weights = scaled;
        for (let i = 0; i < count; i++)
            weights[i] = Math.exp(weights[i]! - max);
        // Keep weights ≥ floor; the most likely token always stays.
        let floor = minP;
        if (topP < 1)
            floor = Math.max(floor, nucleusFloor(weights, topP));
        return TokenDistribution.#normalised(tokens, weights, floor);
    }

    /** The most likely token. */
    public get topToken(): Token {
        return this.#tokens[this.#top]!;
    }

    /** Probability of the most likely token. */
    public get topProbability(): number {
        return this.#probabilities[this.#top]!;
    }

    /** How many tokens have a probability above 0. */
    public get size(): number {
        return this.#tokens.length;
    }

    public probabilityOf(token: Token): number {
        if (this.#index != null) {
            const at = this.#index.get(token);
            return at == null ? 0 : this.#probabilities[at]!;
        }
        const at = this.#tokens.indexOf(token);
        return at < 0 ? 0 : this.#probabilities[at]!;
    }

    /** The token whose cumulative probability interval holds `u` ∈ [0, 1). */
    public sample(u: number): Token {
        let cumulative = 0;
        const last = this.#tokens.length - 1;
        for (let i = 0; i < last; i++) {
            cumulative += this.#probabilities[i]!;
            if (u < cumulative)
                return this.#tokens[i]!;
        }
        return this.#tokens[last]!;
    }

    /**
     * norm(max(0, this − other)): where speculative sampling draws from after it rejects a draft
     * token from `other`. `undefined` when the difference has no mass (then no rejection can happen).
     */
    public residual(other: TokenDistribution): TokenDistribution | undefined {
        const weights = this.#probabilities.map((p, i) => Math.max(0, p - other.#lookup(this.#tokens[i]!)));
        let total = 0;
        for (const weight of weights)
            total += weight;
        if (!(total > 0))
            return undefined;
        return TokenDistribution.#normalised(this.#tokens, weights, Number.MIN_VALUE);
    }

    #lookup(token: Token): number {
        this.#index ??= new Map(Array.from(this.#tokens, (t, i) => [t, i]));
        return this.probabilityOf(token);
    }

    /** The tokens with weight ≥ `floor` (and > 0), their weights scaled to sum to 1. */
    static #normalised(tokens: Int32Array, weights: Float64Array, floor: number): TokenDistribution {
        let kept = 0;
        let total = 0;
        for (const weight of weights)
            if (weight >= floor && weight > 0) {
                kept++;
                total += weight;
            }
        const keptTokens = new Int32Array(kept);
        const probabilities = new Float64Array(kept);
        let at = 0;
        for (let i = 0; i < weights.length; i++)
            if (weights[i]! >= floor && weights[i]! > 0) {
                keptTokens[at] = tokens[i]!;
                probabilities[at++] = weights[i]! / total;
            }
        return new TokenDistribution(keptTokens, probabilities);
    }
}

/**
 * The smallest weight in the nucleus: the most likely tokens whose probabilities first add up to at
 * least `topP`. Tokens tied with it stay too.
 */
function nucleusFloor(weights: Float64Array, topP: number): number {
    let total = 0;
    for (const weight of weights)
        total += weight;
    const sorted = weights.slice().sort();
    let cumulative = 0;
    for (let i = sorted.length - 1; i > 0; i--) {
        cumulative += sorted[i]!;
        if (cumulative >= topP * total)
            return sorted[i]!;
    }
    return sorted[0]!;
}
