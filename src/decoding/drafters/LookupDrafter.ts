import type {Token} from "../../engine/ModelSequence.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {Drafter} from "./Drafter.js";

/**
 * Prompt-lookup drafting (Saxena 2023; llama.cpp's `ngram-simple`): find the latest earlier place
 * where the last `ngram` tokens of the prompt and output occurred, and propose the up to
 * `maxDraft` tokens that followed it there. No model runs, so a draft costs nothing; where the
 * text does not repeat it proposes nothing and the big model writes the next token itself.
 *
 * Its picks carry no distribution: under sampling the verification then keeps a draft exactly
 * when the big model's own draw there is the same token, which leaves each position a draw from
 * the big model's distribution (lossless by construction, greedy or sampled).
 */
export class LookupDrafter implements Drafter {
    public readonly name = "lookup";
    readonly #ngram: number;
    readonly #maxDraft: number;

    public constructor(ngram: number, maxDraft: number) {
        this.#ngram = ngram;
        this.#maxDraft = maxDraft;
    }

    public begin(): void {}

    public async *propose(tokens: readonly Token[]): AsyncGenerator<TokenChoice, void, void> {
        const n = this.#ngram;
        const end = tokens.length;
        for (let start = end - n - 1; start >= 0; start--) {
            let matched = 0;
            while (matched < n && tokens[start + matched] === tokens[end - n + matched])
                matched++;
            if (matched < n)
                continue;
            // Read from `tokens` as the loop appends each proposal, so a match that runs into the
            // suffix repeats itself (a loop): position `from` is always written by then.
            for (let from = start + n; from < start + n + this.#maxDraft; from++)
                yield {token: tokens[from]!, topProbability: 1, scoredNll: Number.NaN};
            return;
        }
    }

    public accept(): void {}

    public async truncate(): Promise<void> {}
}
