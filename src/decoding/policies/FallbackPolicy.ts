import type {NextTokenFacts} from "../../engine/ModelSequence.js";

/**
 * What to do with the little model's proposal: `continue` — append it and keep drafting;
 * `keepAndVerify` — append it, then hand over to the big model, which checks it with the rest of
 * the draft; `dropAndVerify` — discard it and hand over (BiLD's fallback).
 */
export type DraftDecision = "continue" | "keepAndVerify" | "dropAndVerify";

/**
 * Decides when the little model stops drafting and the big model takes over (BiLD's fallback).
 * Implement it to try a new drafting rule: the decoding loop needs no change. Within one
 * generation the loop calls it in order; a policy may keep state per draft run (a run starts with
 * `draftedInRow === 0`).
 */
export interface FallbackPolicy {
    /**
     * Asked before the little model drafts a token. `true` hands control to the big model without
     * spending a little-model call.
     * @param draftedInRow - little tokens appended since the big model last ran.
     */
    beforeDraft(draftedInRow: number): boolean;

    /** Asked with the little model's proposal. */
    onDraft(draft: NextTokenFacts, draftedInRow: number): DraftDecision;

    /**
     * Told after each big-model pass how many of the run's drafted tokens it kept (all of them, or
     * those before the first it overruled): the feedback an adaptive rule learns from, like Hugging
     * Face's `update_candidate_strategy` or llama.cpp's `common_speculative_accept`. Optional.
     */
    onVerified?(accepted: number, drafted: number): void;
}
