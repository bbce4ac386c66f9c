import type {DecodingSettings} from "../decoding/settings/decodingSettings.js";
import type {GenerationStats} from "../decoding/GenerationResult.js";
import type {PeerSettings} from "../engine/PeerSpeculativeDecoder.js";
import type {Token} from "../engine/ModelSequence.js";
import type {NativeSettings} from "./nativeTools.js";
import type {DecodingMode as DecoderMode} from "../decoding/DecodingMode.js";

/** Our decoder's modes (the mode table's), then the rows of other programs and the bounds. */
export type BenchMode = DecoderMode | "peer" | "native-big" | "native-speculative" | "oracle";

/** Rows run by another program than our decoder: a failure there is recorded, not fatal. */
export const isExternalMode = (mode: BenchMode): mode is "peer" | "native-big" | "native-speculative" =>
    mode === "peer" || mode === "native-big" || mode === "native-speculative";

/** A row to run: one of our strategies with its options, node-llama-cpp's speculative decoding, or one of llama.cpp's own tools. */
export type BenchRowSpec =
    | {
        readonly name: string, readonly mode: DecoderMode, readonly settings: DecodingSettings,
        /** Row whose tokens/s the speed-up divides by: the big row sampled alike, for sampled rows. Defaults to the big row. */
        readonly baseline?: string,
        /** The big model's flash attention for this row, where not the pair's (our big alone both ways; llama.cpp's rows run both). */
        readonly flashAttention?: boolean
    }
    | {readonly name: string, readonly mode: "peer", readonly settings: PeerSettings}
    | {readonly name: string, readonly mode: "native-big" | "native-speculative", readonly settings: NativeSettings, readonly baseline?: string};

/** Whether one of llama.cpp's own tools runs the row. */
export const isNativeRow = (spec: BenchRowSpec): spec is Extract<BenchRowSpec, {mode: "native-big" | "native-speculative"}> =>
    spec.mode === "native-big" || spec.mode === "native-speculative";

/** Whether our decoder runs the row (and its settings are decoding settings). */
export const isDecoderRow = (spec: BenchRowSpec): spec is Extract<BenchRowSpec, {mode: DecoderMode}> => !isExternalMode(spec.mode);

/** One row on one prompt. */
export type BenchRecord = {
    row: string,
    promptId: string,
    /** Which of the bench's rounds ran it, from 0 (bounds are priced on round 0's big runs). */
    round: number,
    ms: number,
    tokens: Token[],
    text: string,
    stats?: GenerationStats,
    /** A native speculative tool's own count of drafted and accepted tokens. */
    drafts?: {drafted: number, accepted: number},
    rougeL: number,
    bleu: number,
    rougeLVsBig: number,
    identicalToBig: boolean,
    /** Tokens before the first difference from the big model's output. */
    prefixAgreement: number,
    /** Mean −log p_big of the generated tokens. */
    meanNllBig: number,
    /** Generated tokens a 4-gram lookup over the prompt and the output before them predicts (see `repeatPredicted`). */
    repeatPredicted: number
};

/** One row over all prompts. Quality figures are means over prompts, 0–100. */
export type BenchRow = {
    name: string,
    mode: BenchMode,
    settings: DecodingSettings | PeerSettings | NativeSettings,
    /** `true` for the oracle: computed from measured call costs, not run. */
    bound: boolean,
    prompts: number,
    tokens: number,
    totalMs: number,
    medianMs: number,
    tokensPerSecond: number,
    /** With more than one round: the row's tokens/s in each (`tokensPerSecond` pools them). */
    roundTokensPerSecond?: number[],
    /** Tokens/s over the baseline row's (the big row; for sampled rows the big row sampled alike), both measured in this run. */
    speedup: number,
    /** The row `speedup` is relative to. */
    baseline: string,
    /** Tokens/s over the fastest `native-big` row (llama.cpp's own program), when one ran; greedy rows only. */
    speedupOverNativeBig?: number,
    rougeL: number,
    /** ROUGE-L points vs the big row. */
    rougeLDelta: number,
    bleu: number,
    rougeLVsBig: number,
    exactMatchPct: number,
    /** Share of the big row's tokens matched before the first difference, %. */
    prefixAgreementPct: number,
    meanNllBig: number,
    fallbacks?: number,
    rollbacks?: number,
    tokensPerBigCall?: number,
    /** Share of output tokens written by the little model, %. */
    draftSharePct?: number,
    /**
     * Share of drafted little tokens the big model accepted, %. For `speculative k=1` under greedy
     * decoding this is the pair's top-1 agreement along the big model's greedy path. For native
     * speculative rows, the tool's own count.
     */
    acceptancePct?: number,
    discarded?: number,
    /** Share of wall time outside llama.cpp calls, %. */
    ownTimePct?: number,
    /**
     * Share of the row's generated tokens that a 4-gram lookup over the prompt and earlier output
     * would have predicted, %: how much the workload repeats itself (a loop scores near 100).
     */
    repeatPct: number,
    /** Set on the fastest lossless row of ours and the fastest native speculative row: the comparison that counts. */
    best?: "ours" | "native",
    /** Why the row failed (a peer's or native tool's error, with the prompt); a failed row has no measurements. */
    error?: string
};
