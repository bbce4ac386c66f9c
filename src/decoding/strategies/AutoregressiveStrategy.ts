import type {ModelSequence} from "../../engine/ModelSequence.js";
import type {GenerationState} from "../GenerationState.js";
import type {DecodingStrategy} from "./DecodingStrategy.js";
import {evaluatePending, type ModelRole} from "./timedEvaluate.js";

/** Plain greedy decoding with one model, one token per call: the `big` and `little` baselines. */
export class AutoregressiveStrategy implements DecodingStrategy {
    readonly #role: ModelRole;
    readonly #sequence: ModelSequence;

    public constructor(role: ModelRole, sequence: ModelSequence) {
        this.#role = role;
        this.#sequence = sequence;
    }

    public async *decode(state: GenerationState): AsyncGenerator<void, void, void> {
        const {stats} = state;
        while (!state.endReached) {
            const [next] = await evaluatePending(this.#role, this.#sequence, state.tokens, stats, 1);
            state.append(next!.token, this.#role);
            state.finalizeOutput();
            if (this.#role === "big")
                stats.bigTokens++;
            else {
                stats.littleProposed++;
                stats.littleAccepted++;
            }
            yield;
        }
    }
}
