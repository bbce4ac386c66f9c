import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {RepetitionPenalty} from "../../engine/RepetitionPenalty.js";
import type {GenerationStats} from "../GenerationResult.js";
import type {RandomSource} from "../sampling/RandomSource.js";
import type {SamplingSettings} from "../sampling/SamplingOptions.js";
import {TokenDistribution} from "../sampling/TokenDistribution.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {NextTokenChooser} from "./NextTokenChooser.js";
import {evaluatePending} from "./timedEvaluate.js";
import type {ModelRole} from "../GenerationResult.js";

/**
 * Reads raw logits (only the top k when top-k is set, so the engine's native partial sort does the
 * cutting; after the repetition penalty where there is one, which llama.cpp applies first too),
 * adjusts them with {@link TokenDistribution} and draws one token per position.
 */
export class SamplingChooser implements NextTokenChooser {
    readonly #settings: SamplingSettings;
    readonly #random: RandomSource;
    readonly #penalty: RepetitionPenalty | undefined;

    public constructor(settings: SamplingSettings, random: RandomSource, penalty?: RepetitionPenalty) {
        this.#settings = settings;
        this.#random = random;
        this.#penalty = penalty;
    }

    public async choose(
        role: ModelRole, sequence: ModelSequence, tokens: readonly Token[], stats: GenerationStats,
        outputCount: number, scoreTokens?: readonly (Token | undefined)[]
    ): Promise<TokenChoice[]> {
        const logits = await evaluatePending(
            role, sequence, tokens, stats, (pending) => sequence.evaluateLogits(pending, outputCount, this.#settings.topK, this.#penalty)
        );
        return logits.map((pairs, i) => {
            const distribution = TokenDistribution.fromLogits(pairs, this.#settings);
            const scoreToken = scoreTokens?.[i];
            return {
                token: distribution.sample(this.#random.next()),
                topProbability: distribution.topProbability,
                scoredNll: scoreToken == null ? Number.NaN : -Math.log(distribution.probabilityOf(scoreToken)),
                distribution
            };
        });
    }
}
