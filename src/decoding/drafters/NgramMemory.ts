import type {Token} from "../../engine/ModelSequence.js";

/** The sizes of an {@link NgramMemory}; every field has a default. */
export type NgramMemoryOptions = {
    /** Most contexts remembered (all orders together); past it the oldest quarter is forgotten. Defaults to 2^19 (tens of MB at most). */
    readonly maxContexts?: number
};

/** The context lengths the memory indexes: a draft token's evidence is the longest of them that matched. */
export const NGRAM_ORDERS = [2, 4, 8, 16] as const;
const LONGEST_ORDER = NGRAM_ORDERS[NGRAM_ORDERS.length - 1]!;
/** Continuations kept per context: the most frequent win, the most recent among equals. */
const CANDIDATES = 4;

/** A continuation the memory predicts, and the longest context that predicted it. */
export type NgramPrediction = {readonly token: Token, readonly order: number};

/**
 * What an n-gram drafter learns, kept across generations: for each context of 2, 4, 8 and 16 tokens
 * seen in prompts and verified output, the tokens that followed it and how often. One memory may
 * serve every decoder of a model pair (`bild serve` shares one), so a request that repeats an
 * earlier answer, an edited file or a template is drafted from the first. Like llama.cpp's
 * `ngram-mod` table, shared across sequences and hashed, but it counts continuations instead of
 * keeping the latest, knows several context lengths, and is bounded by forgetting its oldest contexts.
 * What it predicts only shapes drafts, which the big model verifies: it never changes the output.
 */
export class NgramMemory {
    readonly #maxContexts: number;
    /** Context hash → continuations as [token, count, token, count, …], the most recent first. */
    readonly #contexts = new Map<number, number[]>();
    /** Scratch: the context hashes ending at one position, one per order. */
    readonly #keys = new Array<number>(NGRAM_ORDERS.length);

    public constructor({maxContexts = 2 ** 19}: NgramMemoryOptions = {}) {
        if (!Number.isInteger(maxContexts) || maxContexts < 16)
            throw new RangeError(`maxContexts must be an integer ≥ 16, got ${maxContexts}`);
        this.#maxContexts = maxContexts;
    }

    /** Contexts remembered now. */
    public get size(): number {
        return this.#contexts.size;
    }

    /** Learns that `tokens[end]` followed the tokens before it, for every order that fits. */
    public add(tokens: readonly Token[], end: number): void {
        const orders = this.#hashContexts(tokens, end);
        const next = tokens[end]!;
        for (let i = 0; i < orders; i++) {
            const key = this.#keys[i]!;
            const known = this.#contexts.get(key);
            if (known == null)
                this.#contexts.set(key, [next, 1]);
            else
                countContinuation(known, next);
        }
        if (this.#contexts.size > this.#maxContexts)
            this.#forgetOldest(this.#contexts.size - Math.floor(this.#maxContexts * 3 / 4));
    }

    /** The likeliest token after `tokens[0 … end)` by the longest context of at least `minOrder` tokens seen before, or undefined. */
    public predict(tokens: readonly Token[], end: number, minOrder: number): NgramPrediction | undefined {
        const orders = this.#hashContexts(tokens, end);
        for (let i = orders - 1; i >= 0 && NGRAM_ORDERS[i]! >= minOrder; i--) {
            const known = this.#contexts.get(this.#keys[i]!);
            if (known != null)
                return {token: mostFrequent(known), order: NGRAM_ORDERS[i]!};
        }
        return undefined;
    }

    /** Halves every count and forgets what falls to zero: what kept being wrong fades, what recurs stays. */
    public age(): void {
        for (const [key, known] of this.#contexts) {
            let kept = 0;
            for (let i = 0; i < known.length; i += 2) {
                const count = Math.floor(known[i + 1]! / 2);
                if (count > 0) {
                    known[kept] = known[i]!;
                    known[kept + 1] = count;
                    kept += 2;
                }
            }
            if (kept === 0)
                this.#contexts.delete(key);
            else
                known.length = kept;
        }
    }

    /** Forgets everything. */
    public clear(): void {
        this.#contexts.clear();
    }

    /** Fills `#keys` with the hashes of the contexts ending before `end`; returns how many orders fit. */
    #hashContexts(tokens: readonly Token[], end: number): number {
        // Two 32-bit lanes read backwards from `end`, so that each order's hash extends the shorter one's.
        let a = 0x811c9dc5;
        let b = 0x9747b28c;
        let orders = 0;
        for (let length = 1; length <= Math.min(end, LONGEST_ORDER); length++) {
            const token = tokens[end - length]!;
            a = Math.imul(a ^ token, 0x01000193);
            a ^= a >>> 15;
            b = Math.imul(b ^ (token + 0x632be5ab), 0x85ebca6b);
            b ^= b >>> 13;
            if (length === NGRAM_ORDERS[orders]) {
                // 32 + 21 bits: a safe integer key; a collision only costs a rejected draft.
                this.#keys[orders] = (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
                orders++;
            }
        }
        return orders;
    }

    #forgetOldest(count: number): void {
        // A Map iterates in insertion order: the first keys are the contexts first seen longest ago.
        for (const key of this.#contexts.keys()) {
            if (count-- <= 0)
                break;
            this.#contexts.delete(key);
        }
    }
}

function countContinuation(known: number[], next: Token): void {
    let at = 0;
    while (at < known.length && known[at] !== next)
        at += 2;
    let count = 1;
    if (at < known.length)
        count += known[at + 1]!;
    else if (known.length >= 2 * CANDIDATES) {
        // Full: the least frequent makes room (the oldest among equals).
        at = known.length - 2;
        for (let i = known.length - 4; i >= 0; i -= 2)
            if (known[i + 1]! < known[at + 1]!)
                at = i;
    }
    // Move to the front: among equal counts the most recent wins.
    known.splice(at, 2);
    known.unshift(next, count);
}

function mostFrequent(known: readonly number[]): Token {
    let best = 0;
    for (let i = 2; i < known.length; i += 2)
        if (known[i + 1]! > known[best + 1]!)
            best = i;
    return known[best]!;
}
