import type {FastifyReply, FastifyRequest} from "fastify";
import type {Decoder} from "../decoding/Decoder.js";
import {planDecoding, type DecodingPlan} from "../decoding/DecodingPlan.js";
import {mergeSettings, type BigModelPlacement, type DecodingSettings} from "../decoding/settings/decodingSettings.js";
import type {Token} from "../engine/ModelSequence.js";
import {errorMessage, isUsageError} from "../errors.js";
import {QueueFullError, type DecoderPool} from "./DecoderPool.js";
import {bildStatsOf, completionResponse, errorBody, StreamChunks, toOpenAiFinishReason, type Endpoint} from "./openaiResponses.js";
import {decodingSettingsOfRequest, type CommonRequestBody} from "./requestSchemas.js";
import type {ServerMetrics} from "./ServerMetrics.js";

/** Seconds a client told to back off (429) should wait before retrying. */
const RETRY_AFTER_SECONDS = 1;

/** Why a generation stopped when the server shut down under it. */
export class ServerShutdownError extends Error {
    public constructor() {
        super("the server is shutting down: this generation was stopped; retry on a running server");
        this.name = "ServerShutdownError";
    }
}

/** What a {@link GenerationService} serves with. */
export type GenerationServiceOptions = {
    readonly pool: DecoderPool,
    readonly metrics: ServerMetrics,
    /** The name responses carry and requests must use (or omit). */
    readonly modelId: string,
    /** Decoding settings of requests that do not set their own (from the `bild serve` flags). */
    readonly defaults: DecodingSettings,
    /** Where the pool's big model runs: settings neither a request nor `defaults` give take its defaults. Defaults to `"local"`. */
    readonly bigPlacement?: BigModelPlacement,
    /**
     * The server's limits (`serve --time-limit`, and `--max-tokens` where given, as llama-server
     * caps `n_predict`): a request may ask for less of each, never more. Defaults to none.
     */
    readonly limits?: {readonly timeLimit?: number, readonly maxTokens?: number},
    /** Aborted when the server shuts down and running generations must stop. */
    readonly shutdown?: AbortSignal,
    /**
     * Tokenizes a long text prompt off the event loop (BOS included, as the pair's tokenizer would),
     * e.g. with a `BackgroundTokenizer`. Without it every prompt is tokenized in line.
     */
    readonly tokenizeInBackground?: (text: string, specialTokens: boolean) => Promise<readonly Token[]>
};

/** Text prompts longer than this (characters) are tokenized in the background where the server can. */
const INLINE_TOKENIZE_CHARS = 8192;

/**
 * One request's generation, from its body to its response: checks, settings over the server's
 * defaults, the prompt checked before it queues, a decoder from the pool, then a JSON response or
 * an event stream. A client that disconnects, or a shutdown, stops the generation between two model calls.
 */
export class GenerationService {
    readonly #options: GenerationServiceOptions;
    readonly #modelId: string;

    public constructor(options: GenerationServiceOptions) {
        this.#options = options;
        this.#modelId = options.modelId;
    }

    /**
     * @param alternatives - set when the request asks for log-probabilities: how many of the most
     *   likely tokens to report at each position besides the one generated.
     */
    public async serve(
        request: FastifyRequest<{Body: CommonRequestBody}>, reply: FastifyReply, endpoint: Endpoint,
        prompt: string | Token[], formatStops: readonly string[], alternatives?: number
    ): Promise<unknown> {
        const body = request.body;
        const rejection = checkRequest(body, this.#modelId);
        if (rejection != null)
            return reply.status(rejection.status).send(errorBody(rejection.message, rejection.type, rejection.param, rejection.code));
        if (alternatives != null && body.stream === true)
            return reply.status(400).send(errorBody("logprobs are not streamed by this server: leave out stream or logprobs", "invalid_request_error", "logprobs"));
        const abort = new AbortController();
        const onShutdown = () => abort.abort(new ServerShutdownError());
        this.#options.shutdown?.addEventListener("abort", onShutdown, {once: true});
        // A client that goes away aborts its generation (or leaves the queue) and frees its decoder.
        reply.raw.on("close", () => {
            this.#options.shutdown?.removeEventListener("abort", onShutdown);
            if (reply.raw.writableFinished || abort.signal.aborted)
                return;
            abort.abort(new Error("client disconnected"));
            // No response finishes, so the onResponse hook never counts it.
            this.#options.metrics.recordRequest(request.routeOptions.url ?? "unknown", "aborted", reply.elapsedTime / 1000);
        });
        const settings = mergeSettings(this.#options.defaults, decodingSettingsOfRequest(body));
        let plan: DecodingPlan;
        let promptTokens: readonly Token[];
        try {
            plan = planDecoding({
                ...settings, stop: [...settings.stop ?? [], ...formatStops], signal: abort.signal,
                timeLimit: this.#capped("timeLimit", settings.timeLimit),
                maxTokens: this.#capped("maxTokens", settings.maxTokens)
            }, this.#options.bigPlacement);
        } catch (error) {
            if (isUsageError(error))
                return reply.status(400).send(errorBody(error.message, "invalid_request_error", "bild"));
            throw error;
        }
        try {
            // Before waiting for a decoder: a prompt that cannot run is refused at once.
            promptTokens = await this.#preparePrompt(prompt, plan);
        } catch (error) {
            if (isUsageError(error))
                return reply.status(400).send(errorBody(error.message, "invalid_request_error", endpoint === "chat" ? "messages" : "prompt"));
            throw error;
        }

        let decoder: Decoder;
        try {
            decoder = await this.#options.pool.acquire(abort.signal);
        } catch (error) {
            if (error instanceof QueueFullError)
                return reply.status(429).header("retry-after", String(RETRY_AFTER_SECONDS))
                    .send(errorBody(error.message, "rate_limit_error", null, "queue_full"));
            if (abort.signal.reason instanceof ServerShutdownError)
                return reply.status(503).send(errorBody(abort.signal.reason.message, "server_error"));
            if (abort.signal.aborted)
                return reply.hijack();
            throw error;
        }
        try {
            if (body.stream === true)
                return await this.#streamResponse(reply, decoder, promptTokens, plan, endpoint, body.stream_options?.include_usage === true);
            const result = await decoder.generate(promptTokens, plan);
            this.#options.metrics.recordGeneration(result.stats);
            const scores = alternatives == null ? undefined : {tokens: await decoder.scoreWithBig(promptTokens, result.tokens, alternatives), alternatives};
            return reply.send(completionResponse(result, endpoint, plan.mode, this.#modelId, scores));
        } catch (error) {
            if (abort.signal.reason instanceof ServerShutdownError && !reply.sent)
                return reply.status(503).send(errorBody(abort.signal.reason.message, "server_error"));
            if (abort.signal.aborted) {
                if (!reply.sent)
                    reply.hijack();
                return reply;
            }
            if (isUsageError(error))
                return reply.status(400).send(errorBody(error.message, "invalid_request_error", endpoint === "chat" ? "messages" : "prompt"));
            throw error;
        } finally {
            this.#options.pool.release(decoder);
        }
    }

    /** A request's setting under the server's limit of it: the smaller, or the limit where the request names none. */
    #capped(name: "timeLimit" | "maxTokens", asked: number | undefined): number | undefined {
        const limit = this.#options.limits?.[name];
        return limit == null ? asked : Math.min(asked ?? limit, limit);
    }

    async #preparePrompt(prompt: string | Token[], plan: DecodingPlan): Promise<readonly Token[]> {
        const {pool, tokenizeInBackground} = this.#options;
        if (typeof prompt !== "string" || prompt.length <= INLINE_TOKENIZE_CHARS || tokenizeInBackground == null)
            return pool.prompts.prepare(prompt, plan);
        pool.prompts.checkTextLength(prompt, plan);
        return pool.prompts.checkEncoded(await tokenizeInBackground(prompt, plan.specialTokens), plan);
    }

    async #streamResponse(
        reply: FastifyReply, decoder: Decoder, prompt: readonly Token[], plan: DecodingPlan, endpoint: Endpoint, includeUsage: boolean
    ): Promise<FastifyReply> {
        const chunks = new StreamChunks(endpoint, this.#modelId);
        const stream = decoder.stream(prompt, plan);
        const iterator = stream[Symbol.asyncIterator]();
        // Start decoding before committing to a 200: bad prompts still get their 400.
        const first = await iterator.next();
        reply.hijack();
        const raw = reply.raw;
        // Node keeps the connection open or closes it after the stream as the request's own
        // Connection header asks (a client sending "close" must see the socket close after [DONE]).
        raw.writeHead(200, {"content-type": "text/event-stream", "cache-control": "no-cache"});
        const send = (data: object | string) => raw.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
        if (endpoint === "chat")
            send(chunks.role());
        try {
            for (let next = first; next.done !== true; next = await iterator.next())
                send(chunks.text(next.value));
            const result = await stream.result;
            this.#options.metrics.recordGeneration(result.stats);
            send(chunks.text("", toOpenAiFinishReason(result.finishReason), {bild: bildStatsOf(plan.mode, result)}));
            if (includeUsage)
                send(chunks.usage(result));
            send("[DONE]");
        } catch (error) {
            if (!raw.destroyed)
                send(errorBody(errorMessage(error), "server_error"));
        } finally {
            raw.end();
        }
        return reply;
    }
}

/**
 * OpenAI request fields this server does not implement, with the values that change nothing (which
 * clients such as LangChain send by default, and which are accepted).
 */
const IGNORABLE_FIELDS: Readonly<Record<string, (value: unknown) => boolean>> = {
    echo: (value) => value === false,
    suffix: (value) => value === "",
    best_of: (value) => value === 1,
    logit_bias: (value) => typeof value === "object" && value !== null && Object.keys(value).length === 0,
    tools: (value) => Array.isArray(value) && value.length === 0,
    tool_choice: (value) => value === "none",
    functions: (value) => Array.isArray(value) && value.length === 0,
    response_format: (value) => typeof value === "object" && value !== null && (value as {type?: unknown}).type === "text"
};

function checkRequest(body: CommonRequestBody, modelId: string) {
    if (body.model != null && body.model !== modelId)
        return {
            status: 404, type: "invalid_request_error", code: "model_not_found", param: "model",
            message: `The model "${body.model}" does not exist: this server serves "${modelId}" (see GET /v1/models)`
        } as const;
    if (body.n != null && body.n !== 1)
        return {status: 400, type: "invalid_request_error", code: null, param: "n", message: "n must be 1: one choice per request"} as const;
    for (const [field, neutral] of Object.entries(IGNORABLE_FIELDS))
        if (body[field] != null && !neutral(body[field]))
            return {
                status: 400, type: "invalid_request_error", code: "unsupported_parameter", param: field,
                message: `${field} ${JSON.stringify(body[field]).slice(0, 60)} is not supported by this server: leave it out (or send its neutral value)`
            } as const;
    return undefined;
}
