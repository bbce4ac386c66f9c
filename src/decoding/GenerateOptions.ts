import type {FallbackPolicy} from "./policies/FallbackPolicy.js";
import type {RollbackPolicy} from "./policies/RollbackPolicy.js";
import type {DecodingSettings} from "./settings/decodingSettings.js";
import type {NgramMemory} from "./drafters/NgramMemory.js";

/** What one generation takes: the decoding settings, plus what only the library can pass. */
export type GenerateOptions = DecodingSettings & {
    /** Aborts the generation between model calls; the promise rejects with the signal's reason. */
    readonly signal?: AbortSignal,
    /** BiLD: a custom drafting rule, instead of `runConfidence` / `fallbackThreshold`. Used by one generation at a time. */
    readonly fallbackPolicy?: FallbackPolicy,
    /** BiLD: a custom verification rule, instead of `strict` / `rollbackThreshold`. Used by one generation at a time. */
    readonly rollbackPolicy?: RollbackPolicy,
    /** What the n-gram drafter learns from and draws on in this generation, instead of the decoder's own memory. */
    readonly ngramMemory?: NgramMemory
};
