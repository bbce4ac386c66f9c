import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {GenerationState} from "../GenerationState.js";
import type {FallbackPolicy} from "../policies/FallbackPolicy.js";
import type {RollbackPolicy} from "../policies/RollbackPolicy.js";
import type {RandomSource} from "../sampling/RandomSource.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {DecodingStrategy} from "./DecodingStrategy.js";
import type {NextTokenChooser} from "./NextTokenChooser.js";
import {truncateTimed} from "./timedEvaluate.js";

/** The models and rules a {@link DraftVerifyStrategy} runs with. */
export type DraftVerifyParts = {
    readonly big: ModelSequence,
    readonly little: ModelSequence,
    readonly chooser: NextTokenChooser,
    readonly fallback: FallbackPolicy,
    readonly rollback: RollbackPolicy,
    readonly random: RandomSource
};

/**
 * The little model drafts until the fallback policy hands over; the big model then evaluates every
 * token it has not seen in one batch, the rollback policy picks the first draft token to overrule
 * (if any), and the big model's own next token is appended. BiLD, classic speculative decoding and
 * speculative sampling are this loop with different policies and choosers.
 *
 * Invariant between steps: the big model's cache holds every final token but the last, so its next
 * call yields the distribution after the last final token; the little cache is a prefix of the
 * tokens too.
 */
export class DraftVerifyStrategy implements DecodingStrategy {
    readonly #parts: DraftVerifyParts;
    /** The little model's choices for the unverified output tokens, in order. */
    readonly #drafts: TokenChoice[] = [];

    public constructor(parts: DraftVerifyParts) {
        this.#parts = parts;
    }

    public async *decode(state: GenerationState): AsyncGenerator<void, void, void> {
        const {stats} = state;
        const {big, little, chooser, fallback} = this.#parts;
        while (!state.isComplete) {
            if (state.endReached) {
                // The draft ended the generation (max tokens, EOS or a stop string): the big model
                // still has to check it before anything is returned.
                await this.#verify(state, false);
            } else if (fallback.beforeDraft(this.#drafts.length)) {
                stats.fallbacks++;
                await this.#verify(state, true);
            } else {
                const [draft] = await chooser.choose("little", little, state.tokens, stats, 1);
                // A padded little vocabulary's extra ids are the little model's alone: the big model hands over there.
                const decision = draft!.token < big.vocabularySize ? fallback.onDraft(draft!, this.#drafts.length) : "dropAndVerify";
                if (decision !== "dropAndVerify") {
                    state.append(draft!.token, "little");
                    this.#drafts.push(draft!);
                    stats.littleProposed++;
                    if (decision === "continue") {
                        // A step per draft: the decoder checks the abort signal and the time limit
                        // between steps, so a long run of slow drafts cannot outlive either.
                        yield;
                        continue;
                    }
                }
                stats.fallbacks++;
                await this.#verify(state, !state.endReached);
            }
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
        const {big, little, chooser, fallback, rollback, random} = this.#parts;
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
            fallback.onVerified?.(i, drafts.length);
            const position = firstPending + i;
            stats.rollbacks++;
            stats.discarded += tokens.length - position;
            stats.littleAccepted += i;
            state.truncateOutput(position - state.promptLength);
            state.append(correction, "correction");
            stats.bigTokens++;
            state.finalizeOutput();
            await truncateTimed("big", big, position, stats);
            if (little.tokens.length > position)
                await truncateTimed("little", little, position, stats);
            return;
        }

        stats.littleAccepted += drafts.length;
        fallback.onVerified?.(drafts.length, drafts.length);
        if (appendNext) {
            state.append(choices[drafts.length]!.token, "big");
            stats.bigTokens++;
        }
        state.finalizeOutput();
    }
}
