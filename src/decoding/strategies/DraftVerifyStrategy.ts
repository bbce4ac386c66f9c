import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {GenerationState} from "../GenerationState.js";
import type {FallbackPolicy} from "../policies/FallbackPolicy.js";
import type {RollbackPolicy} from "../policies/RollbackPolicy.js";
import type {DecodingStrategy} from "./DecodingStrategy.js";
import {evaluatePending, truncateTimed} from "./timedEvaluate.js";

/**
 * The little model drafts until the fallback policy hands over; the big model then evaluates every
 * token it has not seen in one batch, the rollback policy picks the first draft token to overrule
 * (if any), and the big model's own next token is appended. BiLD and classic speculative decoding
 * are this loop with different policies.
 *
 * Invariant between steps: the big model's cache holds every final token but the last, so its next
 * call yields the distribution after the last final token; the little cache is a prefix of the
 * tokens too.
 */
export class DraftVerifyStrategy implements DecodingStrategy {
    readonly #big: ModelSequence;
    readonly #little: ModelSequence;
    readonly #fallback: FallbackPolicy;
    readonly #rollback: RollbackPolicy;

    public constructor(big: ModelSequence, little: ModelSequence, fallback: FallbackPolicy, rollback: RollbackPolicy) {
        this.#big = big;
        this.#little = little;
        this.#fallback = fallback;
        this.#rollback = rollback;
    }

    public async *decode(state: GenerationState): AsyncGenerator<void, void, void> {
        const {stats} = state;
        let draftedInRow = 0;
        while (!state.isComplete) {
            if (state.endReached) {
                // The draft ended the generation (max tokens, EOS or a stop string): the big model
                // still has to check it before anything is returned.
                await this.#verify(state, false);
            } else if (this.#fallback.beforeDraft(draftedInRow)) {
                stats.fallbacks++;
                await this.#verify(state, true);
            } else {
                const [draft] = await evaluatePending("little", this.#little, state.tokens, stats, 1);
                const decision = this.#fallback.onDraft(draft!, draftedInRow);
                if (decision !== "dropAndVerify") {
                    state.append(draft!.token, "little");
                    stats.littleProposed++;
                    draftedInRow++;
                    if (decision === "continue")
                        continue;
                }
                stats.fallbacks++;
                await this.#verify(state, !state.endReached);
            }
            draftedInRow = 0;
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
        const firstPending = state.promptLength + state.finalLength;
        const scoreTokens: (Token | undefined)[] = tokens.slice(firstPending);
        scoreTokens.push(undefined);
        // Position i of `facts` is the distribution over tokens[firstPending + i].
        const facts = await evaluatePending("big", this.#big, tokens, stats, scoreTokens.length, scoreTokens);

        for (let i = 0; i < facts.length - 1; i++) {
            const big = facts[i]!;
            const position = firstPending + i;
            if (!this.#rollback.shouldRollback(big, tokens[position]!))
                continue;
            stats.rollbacks++;
            stats.discarded += tokens.length - position;
            stats.littleAccepted += i;
            state.truncateOutput(position - state.promptLength);
            state.append(big.token, "correction");
            stats.bigTokens++;
            state.finalizeOutput();
            await truncateTimed("big", this.#big, position, stats);
            if (this.#little.tokens.length > position)
                await truncateTimed("little", this.#little, position, stats);
            return;
        }

        stats.littleAccepted += facts.length - 1;
        if (appendNext) {
            state.append(facts[facts.length - 1]!.token, "big");
            stats.bigTokens++;
        }
        state.finalizeOutput();
    }
}
