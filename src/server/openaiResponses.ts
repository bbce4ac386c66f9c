import type {FinishReason, GenerationResult} from "../decoding/GenerationResult.js";

export type OpenAiFinishReason = "stop" | "length";

export const toOpenAiFinishReason = (reason: FinishReason): OpenAiFinishReason => reason === "length" ? "length" : "stop";

export function usageOf({stats}: GenerationResult) {
    return {
        prompt_tokens: stats.promptTokens,
        completion_tokens: stats.generatedTokens,
        total_tokens: stats.promptTokens + stats.generatedTokens
    };
}

/** The `bild` object of a response: this request's decoding stats (and its seed, when sampled). */
export function bildStatsOf(mode: string, {stats, seed}: GenerationResult) {
    return {
        mode,
        ...(seed == null ? {} : {seed}),
        fallbacks: stats.fallbacks,
        rollbacks: stats.rollbacks,
        little_proposed: stats.littleProposed,
        little_accepted: stats.littleAccepted,
        acceptance: stats.littleProposed === 0 ? 0 : stats.littleAccepted / stats.littleProposed,
        big_tokens: stats.bigTokens,
        big_calls: stats.bigCalls,
        discarded: stats.discarded,
        time_ms: stats.totalMs
    };
}

export type OpenAiErrorType = "invalid_request_error" | "rate_limit_error" | "server_error" | "not_found_error";

export function errorBody(message: string, type: OpenAiErrorType, param: string | null = null, code: string | null = null) {
    return {error: {message, type, param, code}};
}
