import type {Token} from "../../engine/ModelSequence.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {Drafter} from "./Drafter.js";
import {NGRAM_ORDERS, type NgramMemory} from "./NgramMemory.js";

/** How an {@link NgramDrafter} drafts; the settings table documents each (`ngram*`). */
export type NgramDrafterParams = {
    /** A draft token needs a remembered context of at least this many tokens (2, 4, 8 or 16; rounded down to one). */
    readonly minMatch: number,
    /** Most tokens per run. */
    readonly maxDraft: number
};

/** A run may be at most this many times as long as the verified context that predicted its first token: 64 off a 16-token match, 8 off a 2-token one. */
const EVIDENCE_FACTOR = 4;
/** The shortest the adaptive run limit gets. */
const MIN_LIMIT = 4;
/** Runs in a row that keep under a quarter of their tokens before the memory is aged (llama.cpp's `ngram-mod` resets after 5). */
const LOW_ACCEPTANCE_RUNS = 5;

/**
 * Drafts from an {@link NgramMemory}: each token the likeliest continuation of the longest
 * remembered context, chained through its own drafts, for as long as the evidence allows (see
 * EVIDENCE_FACTOR) and the run limit, which doubles after a run the big model kept whole and halves
 * after one it cut. It indexes the prompt and verified output into the memory, which outlives the
 * generation. Its picks carry no distribution: under sampling a draft is kept exactly when the big
 * model's own draw is that token, so the output stays a draw from the big model (as `LookupDrafter`).
 */
export class NgramDrafter implements Drafter {
    public readonly name = "ngram";
    readonly #memory: NgramMemory;
    readonly #minOrder: number;
    readonly #maxDraft: number;
    #limit: number;
    /** Positions below it are in the memory. */
    #indexed = 0;
    #lowRuns = 0;

    public constructor(memory: NgramMemory, {minMatch, maxDraft}: NgramDrafterParams) {
        this.#memory = memory;
        this.#minOrder = NGRAM_ORDERS.findLast((order) => order <= minMatch) ?? NGRAM_ORDERS[0];
        this.#maxDraft = maxDraft;
        this.#limit = maxDraft;
    }

    public begin(prompt: readonly Token[]): void {
        this.#indexed = 0;
        this.#learn(prompt);
    }

    public async *propose(tokens: readonly Token[]): AsyncGenerator<TokenChoice, void, void> {
        // Everything in `tokens` is verified now: learn it before drafting from it.
        this.#learn(tokens);
        const start = tokens.length;
        // The evidence is the match on verified text: a run's own drafts would lengthen it for free.
        let longest = EVIDENCE_FACTOR;
        for (let drafted = 0; drafted < Math.min(this.#limit, longest); drafted++) {
            // `tokens` grows by each yielded draft (the loop appends it), so the chain reads its own run.
            const prediction = this.#memory.predict(tokens, start + drafted, this.#minOrder);
            if (prediction == null)
                return;
            if (drafted === 0)
                longest = EVIDENCE_FACTOR * prediction.order;
            yield {token: prediction.token, topProbability: 1, scoredNll: Number.NaN};
        }
    }

    public accept(kept: readonly Token[], drafted: number): void {
        this.#limit = kept.length === drafted
            ? Math.min(this.#maxDraft, 2 * this.#limit)
            : Math.max(Math.min(MIN_LIMIT, this.#maxDraft), Math.ceil(this.#limit / 2));
        this.#lowRuns = 4 * kept.length < drafted ? this.#lowRuns + 1 : 0;
        if (this.#lowRuns >= LOW_ACCEPTANCE_RUNS) {
            this.#memory.age();
            this.#lowRuns = 0;
        }
    }

    public async truncate(): Promise<void> {
        // Only verified tokens are learnt, and a rollback cuts only drafts: nothing to forget.
    }

    #learn(tokens: readonly Token[]): void {
        for (let end = Math.max(this.#indexed, NGRAM_ORDERS[0]); end < tokens.length; end++)
            this.#memory.add(tokens, end);
        this.#indexed = Math.max(this.#indexed, tokens.length);
    }
}
