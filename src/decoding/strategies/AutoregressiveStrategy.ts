import type {ModelSequence} from "../../engine/ModelSequence.js";
import type {GenerationState} from "../GenerationState.js";
import type {DecodingStrategy} from "./DecodingStrategy.js";
import type {NextTokenChooser} from "./NextTokenChooser.js";
import type {ModelRole} from "../GenerationResult.js";

/** Decoding with one model, one token per call (greedy or sampled): the `big` and `little` baselines. */
export class AutoregressiveStrategy implements DecodingStrategy {
    readonly #role: ModelRole;
    readonly #sequence: ModelSequence;
    readonly #chooser: NextTokenChooser;

    public constructor(role: ModelRole, sequence: ModelSequence, chooser: NextTokenChooser) {
        this.#role = role;
        this.#sequence = sequence;
        this.#chooser = chooser;
    }

    public async *decode(state: GenerationState): AsyncGenerator<void, void, void> {
        const {stats} = state;
        while (!state.endReached) {
            const [next] = await this.#chooser.choose(this.#role, this.#sequence, state.tokens, stats, 1);
            state.append(next!.token, this.#role);
            state.finalizeOutput();
            if (this.#role === "big")
                stats.bigTokens++;
            else {
                stats.draftProposed++;
                stats.draftAccepted++;
            }
            yield;
        }
    }
}
