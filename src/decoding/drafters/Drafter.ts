import type {Token} from "../../engine/ModelSequence.js";
import type {DrafterName, GenerationStats} from "../GenerationResult.js";
import type {TokenChoice} from "../TokenChoice.js";

/**
 * Where draft tokens come from: what the big model then checks in one batch. The little model is
 * one drafter, an n-gram lookup another; the draft/verify loop asks a chain of them in turn
 * (`drafters`), and the first that proposes a run drafts it. The shape of llama.cpp's
 * `common_speculative` (begin / draft / accept) and of Hugging Face's `CandidateGenerator`
 * (`get_candidates` / `update_candidate_strategy`).
 *
 * A drafter object serves one generation; what a drafter learns beyond it (an n-gram table) lives in
 * an object the decoder owns and hands to every generation (`DraftMemory`).
 */
export interface Drafter {
    /** Names the tokens it drafts (their origin) and its counters. */
    readonly name: DrafterName;

    /** A generation starts: `prompt` is the context its first run follows. */
    begin(prompt: readonly Token[]): void;

    /**
     * Proposes the run of tokens that follows `tokens` (prompt and output so far, all of it verified),
     * one at a time, each with the drafter's pick facts (its top probability, and its distribution
     * when sampling, which the verification rule weighs). The run ends when the drafter hands over; an
     * empty run lets the next drafter of the chain propose. The loop also stops reading early when the
     * generation must end or be checked (max tokens, a stop string, the time limit, an abort).
     * `tokens` is the generation's own array: the loop appends each proposal to it before asking for
     * the next, so a drafter reads its run there, uncopied.
     */
    propose(tokens: readonly Token[], stats: GenerationStats): AsyncIterable<TokenChoice>;

    /** After the big model's pass over this drafter's run: it kept `kept` (a prefix of the run) of `drafted` proposals. */
    accept(kept: readonly Token[], drafted: number): void;

    /** The output was cut back to `length` tokens (prompt included): forget what came after them. */
    truncate(length: number, stats: GenerationStats): Promise<void>;
}
