import type {Token} from "../../engine/ModelSequence.js";
import type {GenerationStats} from "../GenerationResult.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {Drafter} from "./Drafter.js";

/**
 * Lookup where the text repeats, a model otherwise: each run first asks `lookup` (which costs no
 * model call) and, when it proposes anything, hands that run to the big model; only when it finds
 * no match does `model` draft the run. The model's cache catches up on accepted lookup tokens at
 * its next call (its chooser feeds what it has not seen), so a lookup run costs it nothing.
 */
export class LookupFirstDrafter implements Drafter {
    readonly #lookup: Drafter;
    readonly #model: Drafter;
    /** Which drafter proposed the run being verified: its feedback goes to it alone. */
    #current: Drafter;

    public constructor(lookup: Drafter, model: Drafter) {
        this.#lookup = lookup;
        this.#model = model;
        this.#current = model;
    }

    public async *propose(tokens: readonly Token[], stats: GenerationStats): AsyncGenerator<TokenChoice, void, void> {
        this.#current = this.#lookup;
        let proposed = 0;
        for await (const pick of this.#lookup.propose(tokens, stats)) {
            proposed++;
            yield pick;
        }
        if (proposed > 0)
            return;
        this.#current = this.#model;
        yield* this.#model.propose(tokens, stats);
    }

    public onVerified(accepted: number, drafted: number): void {
        this.#current.onVerified(accepted, drafted);
    }

    public async truncate(length: number, stats: GenerationStats): Promise<void> {
        await this.#lookup.truncate(length, stats);
        await this.#model.truncate(length, stats);
    }
}
