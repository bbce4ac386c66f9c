import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {Drafter} from "../drafters/Drafter.js";
import type {GenerationState} from "../GenerationState.js";
import type {RollbackPolicy} from "../policies/RollbackPolicy.js";
import type {RandomSource} from "../sampling/RandomSource.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {DecodingStrategy} from "./DecodingStrategy.js";
import type {NextTokenChooser} from "./NextTokenChooser.js";
import {truncateTimed} from "./timedEvaluate.js";

/** The parts a {@link DraftVerifyStrategy} runs with. */
export type DraftVerifyParts = {
    readonly big: ModelSequence,
    /** Where the draft tokens come from (the little model, for BiLD and speculative decoding). */
    readonly drafter: Drafter,
    /** The big model's picks: greedy or sampled, as the generation decodes. */
    readonly chooser: NextTokenChooser,
    /** Which draft token the big model overrules, if any. */
    readonly rollback: RollbackPolicy,
    readonly random: RandomSource
};

/**
 * The drafter proposes a run of tokens; the big model then evaluates every token it has not seen
 * in one batch, the rollback policy picks the first draft token to overrule (if any), and the big
 * model's own next token is appended. BiLD, classic speculative decoding and speculative sampling
 * are this loop with different drafting and verification rules and choosers.
 *
 * Invariant between steps: the big model's cache holds every final token but the last, so its next
 * call yields the distribution after the last final token.
 */
export class DraftVerifyStrategy implements DecodingStrategy {
    readonly #parts: DraftVerifyParts;
    /** The drafter's choices for the unverified output tokens, in order. */
    readonly #drafts: TokenChoice[] = [];

    public constructor(parts: DraftVerifyParts) {
        this.#parts = parts;
    }

    public async *decode(state: GenerationState): AsyncGenerator<void, void, void> {
        const {stats} = state;
        while (!state.isComplete) {
            // Whether the drafter ended its run (BiLD's fallback), rather than the generation's end.
            let handedOver = false;
            if (!state.endReached) {
                handedOver = true;
                for await (const draft of this.#parts.drafter.propose(state.tokens, stats)) {
                    state.append(draft.token, "little");
                    this.#drafts.push(draft);
                    stats.littleProposed++;
                    // A step per draft: the decoder checks the abort signal and the time limit
                    // between steps, so a long run of slow drafts cannot outlive either.
                    if (!state.endReached)
                        yield;
                    if (state.endReached) {
                        handedOver = false;
                        break;
                    }
                }
            }
            if (handedOver)
                stats.fallbacks++;
            // A draft that ended the generation (max tokens, EOS or a stop string) is checked too.
            await this.#verify(state, !state.endReached);
            yield;
        }
    }

    /**
     * One big-model pass over the unverified tokens. Afterwards the whole output is final: up to
     * and including a correction when a rollback happened, otherwise plus the big model's next
     * token when `appendNext`.
     */
    async #verify(state: GenerationState, appendNext: boolean): Promise<void> {
        const {stats, tokens} = state;
        const {big, drafter, chooser, rollback, random} = this.#parts;
        const drafts = this.#drafts.splice(0);
        const firstPending = state.promptLength + state.finalLength;
        const scoreTokens: (Token | undefined)[] = drafts.map((draft) => draft.token);
        scoreTokens.push(undefined);
        // Position i of `choices` is the big model's choice for tokens[firstPending + i].
        const choices = await chooser.choose("big", big, tokens, stats, scoreTokens.length, scoreTokens);

        for (let i = 0; i < drafts.length; i++) {
            const correction = rollback.review(choices[i]!, drafts[i]!, random);
            if (correction == null)
                continue;
            drafter.onVerified(i, drafts.length);
            const position = firstPending + i;
            stats.rollbacks++;
            stats.discarded += tokens.length - position;
            stats.littleAccepted += i;
            state.truncateOutput(position - state.promptLength);
            state.append(correction, "correction");
            stats.bigTokens++;
            state.finalizeOutput();
            await truncateTimed("big", big, position, stats);
            await drafter.truncate(position, stats);
            return;
        }

        stats.littleAccepted += drafts.length;
        drafter.onVerified(drafts.length, drafts.length);
        if (appendNext) {
            state.append(choices[drafts.length]!.token, "big");
            stats.bigTokens++;
        }
        state.finalizeOutput();
    }
}
