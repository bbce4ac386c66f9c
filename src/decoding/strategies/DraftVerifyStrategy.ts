import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {Drafter} from "../drafters/Drafter.js";
import type {GenerationState} from "../GenerationState.js";
import type {DrafterCounts, GenerationStats} from "../GenerationResult.js";
import type {RollbackPolicy} from "../policies/RollbackPolicy.js";
import type {RandomSource} from "../sampling/RandomSource.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {DecodingStrategy} from "./DecodingStrategy.js";
import type {NextTokenChooser} from "./NextTokenChooser.js";
import {truncateTimed} from "./timedEvaluate.js";

/** The parts a {@link DraftVerifyStrategy} runs with. */
export type DraftVerifyParts = {
    readonly big: ModelSequence,
    /** Where the draft tokens come from, asked in turn: the first that proposes a run drafts it (`drafters`). */
    readonly drafters: readonly Drafter[],
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
    /** The drafter of the run being verified, and its counters. */
    #run: {readonly drafter: Drafter, readonly counts: DrafterCounts} | undefined;

    public constructor(parts: DraftVerifyParts) {
        this.#parts = parts;
    }

    public async *decode(state: GenerationState): AsyncGenerator<void, void, void> {
        const {stats} = state;
        const prompt = state.tokens.slice(0, state.promptLength);
        for (const drafter of this.#parts.drafters)
            drafter.begin(prompt);
        while (!state.isComplete) {
            this.#run = undefined;
            if (!state.endReached && (yield* this.#draft(state)))
                stats.fallbacks++;
            // A draft that ended the generation (max tokens, EOS or a stop string) is checked too.
            await this.#verify(state, !state.endReached);
            yield;
        }
    }

    /**
     * Asks the drafters in turn until one proposes a run, and appends the run. Returns whether the
     * drafter ended it (BiLD's fallback), rather than the generation's end.
     */
    async *#draft(state: GenerationState): AsyncGenerator<void, boolean, void> {
        const {stats} = state;
        for (const drafter of this.#parts.drafters) {
            for await (const draft of drafter.propose(state.tokens, stats)) {
                this.#run ??= startRun(stats, drafter);
                state.append(draft.token, drafter.name);
                this.#drafts.push(draft);
                stats.draftProposed++;
                this.#run.counts.proposed++;
                // A step per draft: the decoder checks the abort signal and the time limit
                // between steps, so a long run of slow drafts cannot outlive either.
                if (!state.endReached)
                    yield;
                if (state.endReached)
                    return false;
            }
            if (this.#run != null)
                break;
        }
        return true;
    }

    /**
     * One big-model pass over the unverified tokens. Afterwards the whole output is final: up to
     * and including a correction when a rollback happened, otherwise plus the big model's next
     * token when `appendNext`.
     */
    async #verify(state: GenerationState, appendNext: boolean): Promise<void> {
        const {stats, tokens} = state;
        const {big, drafters, chooser, rollback, random} = this.#parts;
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
            const position = firstPending + i;
            this.#accept(stats, tokens.slice(firstPending, position), drafts.length);
            stats.rollbacks++;
            stats.discarded += tokens.length - position;
            state.truncateOutput(position - state.promptLength);
            state.append(correction, "correction");
            stats.bigTokens++;
            state.finalizeOutput();
            await truncateTimed("big", big, position, stats);
            for (const each of drafters)
                await each.truncate(position, stats);
            return;
        }

        this.#accept(stats, tokens.slice(firstPending), drafts.length);
        if (appendNext) {
            state.append(choices[drafts.length]!.token, "big");
            stats.bigTokens++;
        }
        state.finalizeOutput();
    }

    /** Tells the run's drafter what the big model kept of it, and counts it. */
    #accept(stats: GenerationStats, kept: readonly Token[], drafted: number): void {
        if (this.#run == null)
            return;
        stats.draftAccepted += kept.length;
        this.#run.counts.accepted += kept.length;
        this.#run.drafter.accept(kept, drafted);
    }
}

function startRun(stats: GenerationStats, drafter: Drafter) {
    const counts = stats.drafters[drafter.name] ??= {runs: 0, proposed: 0, accepted: 0};
    counts.runs++;
    return {drafter, counts};
}
