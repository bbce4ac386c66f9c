import type {Token} from "./ModelSequence.js";

/**
 * llama.cpp's repetition penalties (`llama_sampler_init_penalties`, the first sampler of
 * `llama-completion`'s chain), applied by the engine to the raw logits before anything else reads
 * them. Each token that occurs in the window (the last `lastN` tokens of the context, prompt
 * included) has its logit divided by `repeat` (multiplied where it is ≤ 0), then lowered by
 * `frequency` per occurrence and by `presence` once.
 */
export type RepetitionPenalty = {
    readonly repeat: number,
    /** Window length in tokens; at least 1 (a penalty with an empty window is none). */
    readonly lastN: number,
    readonly frequency: number,
    readonly presence: number
};

/**
 * The window of each of the last `outputCount` positions of `cached` followed by `batch`: the up to
 * `lastN` tokens that end with that position's own token, as llama.cpp's sampler has accepted them
 * by the time it picks the next one. One buffer per call holds every window's tokens (the last
 * `lastN - 1` before the outputs, then theirs); each window is a view into it, so a one-token call
 * of the decode loop copies at most `lastN` tokens, and a batch of k outputs `lastN - 1 + k`.
 */
export function penaltyWindows(cached: readonly Token[], batch: readonly Token[], outputCount: number, lastN: number): Uint32Array[] {
    const length = cached.length + batch.length;
    const first = Math.max(0, length - outputCount - (lastN - 1));
    const buffer = new Uint32Array(length - first);
    for (let index = first; index < length; index++)
        buffer[index - first] = index < cached.length ? cached[index]! : batch[index - cached.length]!;
    return Array.from({length: outputCount}, (_, output) => {
        const end = length - outputCount + output + 1 - first;
        return buffer.subarray(Math.max(0, end - lastN), end);
    });
}
