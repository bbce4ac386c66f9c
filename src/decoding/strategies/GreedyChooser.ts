import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {RepetitionPenalty} from "../../engine/RepetitionPenalty.js";
import type {GenerationStats} from "../GenerationResult.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {NextTokenChooser} from "./NextTokenChooser.js";
import {evaluatePending} from "./timedEvaluate.js";
import type {ModelRole} from "../GenerationResult.js";

/**
 * Argmax choices from the engine's cheap greedy read (no vocabulary-sized data crosses into JS),
 * after the repetition penalty where there is one.
 */
export class GreedyChooser implements NextTokenChooser {
    readonly #penalty: RepetitionPenalty | undefined;

    public constructor(penalty?: RepetitionPenalty) {
        this.#penalty = penalty;
    }

    public choose(
        role: ModelRole, sequence: ModelSequence, tokens: readonly Token[], stats: GenerationStats,
        outputCount: number, scoreTokens?: readonly (Token | undefined)[]
    ): Promise<TokenChoice[]> {
        return evaluatePending(role, sequence, tokens, stats, (pending) => sequence.evaluate(pending, outputCount, scoreTokens, this.#penalty));
    }
}
