import type {Token} from "../../engine/ModelSequence.js";
import type {GenerationStats} from "../GenerationResult.js";
import type {TokenChoice} from "../TokenChoice.js";

/**
 * Where draft tokens come from: what the big model then checks in one batch. The little model is
 * one drafter; another (an n-gram lookup, a remote model) implements these three calls and the
 * draft/verify loop does not change. The shape of llama.cpp's `common_speculative` draft/accept
 * and of Hugging Face's `CandidateGenerator` (`get_candidates` / `update_candidate_strategy`).
 */
export interface Drafter {
    /**
     * Proposes the run of tokens that follows `tokens` (prompt and output so far), one at a time,
     * each with the drafter's pick facts (its top probability, and its distribution when sampling,
     * which the verification rule weighs). The run ends when the drafter hands over; the loop also
     * stops reading early when the generation must end or be checked (max tokens, a stop string,
     * the time limit, an abort). `tokens` is the generation's own array: the loop appends each
     * proposal to it before asking for the next, so a drafter reads its run there, uncopied.
     */
    propose(tokens: readonly Token[], stats: GenerationStats): AsyncIterable<TokenChoice>;

    /** After the big model's pass over a run: it kept `accepted` of the `drafted` proposals. */
    onVerified(accepted: number, drafted: number): void;

    /** The output was cut back to `length` tokens (prompt included): forget what came after them. */
    truncate(length: number, stats: GenerationStats): Promise<void>;
}
