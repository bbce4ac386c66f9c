import type {NextTokenFacts} from "../../engine/ModelSequence.js";
import type {DraftDecision, FallbackPolicy} from "./FallbackPolicy.js";

/** The shortest run the limit falls to. */
const MIN_RUN = 2;

/**
 * A fallback rule whose run length limit follows what the big model kept: it grows by two after a
 * run kept whole and falls to just past what was kept after a cut one, between {@link MIN_RUN} and
 * `maxRun` (Hugging Face's "heuristic" schedule for assistant tokens, with llama.cpp's habit of
 * sizing the next draft by the last acceptance). The wrapped rule still ends runs by its own test.
 */
export class AdaptiveRunLength implements FallbackPolicy {
    readonly #inner: FallbackPolicy;
    readonly #maxRun: number;
    #limit: number;

    public constructor(inner: FallbackPolicy, maxRun: number) {
        this.#inner = inner;
        this.#maxRun = maxRun;
        this.#limit = maxRun;
    }

    public beforeDraft(draftedInRow: number): boolean {
        return draftedInRow >= this.#limit || this.#inner.beforeDraft(draftedInRow);
    }

    public onDraft(draft: NextTokenFacts, draftedInRow: number): DraftDecision {
        return this.#inner.onDraft(draft, draftedInRow);
    }

    public onVerified(accepted: number, drafted: number): void {
        this.#inner.onVerified?.(accepted, drafted);
        this.#limit = accepted === drafted
            ? Math.min(this.#maxRun, this.#limit + 2)
            : Math.min(this.#maxRun, Math.max(MIN_RUN, accepted + 1));
    }
}
