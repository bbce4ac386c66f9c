import {randomUUID} from "node:crypto";
import type {TokenScore} from "../decoding/Decoder.js";
import type {FinishReason, GenerationResult} from "../decoding/GenerationResult.js";

export type OpenAiFinishReason = "stop" | "length";

/** OpenAI knows a natural end ("stop") and a cut ("length"): a time limit cuts like max tokens does. */
export const toOpenAiFinishReason = (reason: FinishReason): OpenAiFinishReason => reason === "stop" || reason === "eos" ? "stop" : "length";

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
        little_proposed: stats.drafters.little?.proposed ?? 0,
        little_accepted: stats.drafters.little?.accepted ?? 0,
        draft_proposed: stats.draftProposed,
        draft_accepted: stats.draftAccepted,
        acceptance: stats.draftProposed === 0 ? 0 : stats.draftAccepted / stats.draftProposed,
        drafters: stats.drafters,
        big_tokens: stats.bigTokens,
        big_calls: stats.bigCalls,
        discarded: stats.discarded,
        time_ms: stats.totalMs
    };
}

export type OpenAiErrorType =
    "invalid_request_error" | "rate_limit_error" | "server_error" | "not_found_error" | "authentication_error" | "permission_error";

export function errorBody(message: string, type: OpenAiErrorType, param: string | null = null, code: string | null = null) {
    return {error: {message, type, param, code}};
}

export type Endpoint = "completions" | "chat";

/** The fields every response and chunk of one request share. */
export function responseHeader(endpoint: Endpoint, modelId: string) {
    return {id: `${endpoint === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: modelId};
}

/** The scored tokens that make up `text` (a stop string's tokens and the end-of-generation token are not part of it). */
function scoresOfText(scores: readonly TokenScore[], text: string): TokenScore[] {
    const kept: TokenScore[] = [];
    let offset = 0;
    for (const score of scores) {
        if (offset >= text.length)
            break;
        kept.push(score);
        offset += score.text.length;
    }
    return kept;
}

/** OpenAI's `logprobs` of a completion choice: per token, its text, log-probability, offset and alternatives. */
function completionLogprobs(scores: readonly TokenScore[], alternatives: number) {
    let offset = 0;
    return {
        tokens: scores.map((score) => score.text),
        token_logprobs: scores.map((score) => score.logprob),
        top_logprobs: alternatives === 0 ? null : scores.map((score) => Object.fromEntries(score.top.map((top) => [top.text, top.logprob]))),
        text_offset: scores.map((score) => (offset += score.text.length) - score.text.length)
    };
}

const bytesOf = (text: string) => [...Buffer.from(text, "utf8")];

/** OpenAI's `logprobs` of a chat choice. */
function chatLogprobs(scores: readonly TokenScore[]) {
    return {
        content: scores.map((score) => ({
            token: score.text, logprob: score.logprob, bytes: bytesOf(score.text),
            top_logprobs: score.top.map((top) => ({token: top.text, logprob: top.logprob, bytes: bytesOf(top.text)}))
        })),
        refusal: null
    };
}

/**
 * The whole (non-streamed) response to a request. `scores`: the big model's scores of the
 * generated tokens, when the request asked for log-probabilities.
 */
export function completionResponse(
    result: GenerationResult, endpoint: Endpoint, mode: string, modelId: string, scores?: {readonly tokens: readonly TokenScore[], readonly alternatives: number}
) {
    const finish_reason = toOpenAiFinishReason(result.finishReason);
    const kept = scores == null ? undefined : scoresOfText(scores.tokens, result.text);
    const choice = endpoint === "chat"
        ? {index: 0, message: {role: "assistant", content: result.text}, logprobs: kept == null ? null : chatLogprobs(kept), finish_reason}
        : {index: 0, text: result.text, logprobs: kept == null ? null : completionLogprobs(kept, scores!.alternatives), finish_reason};
    return {
        ...responseHeader(endpoint, modelId), object: endpoint === "chat" ? "chat.completion" : "text_completion", choices: [choice],
        usage: usageOf(result), bild: bildStatsOf(mode, result)
    };
}

/** Builds the Server-Sent Events chunks of one streamed response, all with the same id. */
export class StreamChunks {
    readonly #endpoint: Endpoint;
    readonly #header: ReturnType<typeof responseHeader>;
    readonly #object: string;

    public constructor(endpoint: Endpoint, modelId: string) {
        this.#endpoint = endpoint;
        this.#header = responseHeader(endpoint, modelId);
        this.#object = endpoint === "chat" ? "chat.completion.chunk" : "text_completion";
    }

    /** The chat stream's first chunk, announcing the assistant's role. */
    public role() {
        return this.#chunk({delta: {role: "assistant", content: ""}, finish_reason: null});
    }

    /** A piece of text, or with `finishReason` the last (empty) piece carrying `extra` (the bild stats). */
    public text(text: string, finishReason: OpenAiFinishReason | null = null, extra: object = {}) {
        return this.#chunk(this.#endpoint === "chat"
            ? {delta: text === "" ? {} : {content: text}, finish_reason: finishReason}
            : {text, finish_reason: finishReason}, extra);
    }

    /** The usage chunk OpenAI sends last when `stream_options.include_usage` is set. */
    public usage(result: GenerationResult) {
        return {...this.#header, object: this.#object, choices: [], usage: usageOf(result)};
    }

    #chunk(choice: object, extra: object = {}) {
        return {...this.#header, object: this.#object, choices: [{index: 0, logprobs: null, ...choice}], ...extra};
    }
}
