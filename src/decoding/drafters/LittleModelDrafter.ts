import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {GenerationStats} from "../GenerationResult.js";
import type {FallbackPolicy} from "../policies/FallbackPolicy.js";
import type {NextTokenChooser} from "../strategies/NextTokenChooser.js";
import {truncateTimed} from "../strategies/timedEvaluate.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {Drafter} from "./Drafter.js";

/** What a {@link LittleModelDrafter} drafts with. */
export type LittleModelDrafterParts = {
    /** The little model's sequence (its KV cache follows the output). */
    readonly little: ModelSequence,
    /** Greedy or sampled picks, as the generation decodes. */
    readonly chooser: NextTokenChooser,
    /** The drafting rule: when the run stops and whether its last pick is kept (BiLD's fallback, or k drafts for speculative decoding). */
    readonly fallback: FallbackPolicy,
    /** Ids the big model has: a pick beyond them (a padded little vocabulary's) hands over instead. */
    readonly draftableIds: number
};

/** The little model as a drafter: autoregressive picks until the drafting rule hands over. */
export class LittleModelDrafter implements Drafter {
    public readonly name = "little";
    readonly #parts: LittleModelDrafterParts;

    public constructor(parts: LittleModelDrafterParts) {
        this.#parts = parts;
    }

    public begin(): void {}

    public async *propose(tokens: readonly Token[], stats: GenerationStats): AsyncGenerator<TokenChoice, void, void> {
        const {little, chooser, fallback, draftableIds} = this.#parts;
        for (let drafted = 0; !fallback.beforeDraft(drafted); drafted++) {
            // `tokens` holds the drafts yielded so far (the loop appended them), which the chooser feeds.
            const [draft] = await chooser.choose("little", little, tokens, stats, 1);
            const decision = draft!.token < draftableIds ? fallback.onDraft(draft!, drafted) : "dropAndVerify";
            if (decision === "dropAndVerify")
                return;
            yield draft!;
            if (decision === "keepAndVerify")
                return;
        }
    }

    public accept(kept: readonly Token[], drafted: number): void {
        this.#parts.fallback.onVerified?.(kept.length, drafted);
    }

    public async truncate(length: number, stats: GenerationStats): Promise<void> {
        if (this.#parts.little.tokens.length > length)
            await truncateTimed("little", this.#parts.little, length, stats);
    }
}
