import type {NextTokenFacts} from "../../engine/ModelSequence.js";

/**
 * Decides when the little model stops drafting and the big model takes over (BiLD's fallback).
 * Implement it to try a new drafting rule: the decoding loop needs no change.
 */
export interface FallbackPolicy {
    /**
     * Asked before the little model drafts a token. `true` hands control to the big model without
     * spending a little-model call.
     * @param draftedInRow - little tokens appended since the big model last ran.
     */
    beforeDraft(draftedInRow: number): boolean;

    /**
     * Asked with the little model's proposal. `true` drops the proposal and hands control to the
     * big model.
     */
    onDraft(draft: NextTokenFacts, draftedInRow: number): boolean;
}
