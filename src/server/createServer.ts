import {timingSafeEqual} from "node:crypto";
import {createServer as createHttpServer} from "node:http";
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from "fastify";
import type {Decoder} from "../decoding/Decoder.js";
import {planDecoding, type DecodingPlan} from "../decoding/DecodingPlan.js";
import {mergeSettings, type DecodingSettings} from "../decoding/settings/decodingSettings.js";
import type {ChatMessage, ChatPrompt} from "../engine/ChatFormatter.js";
import type {Token} from "../engine/ModelSequence.js";
import {errorMessage, isUsageError} from "../errors.js";
import {DecoderPool, QueueFullError} from "./DecoderPool.js";
import {bildStatsOf, completionResponse, errorBody, StreamChunks, toOpenAiFinishReason, type Endpoint} from "./openaiResponses.js";
import {
    chatBodySchema, chatMessagesOf, completionBodySchema, decodingSettingsOfRequest, type ChatRequestBody, type CommonRequestBody, type CompletionRequestBody
} from "./requestSchemas.js";
import type {ServerMetrics} from "./ServerMetrics.js";

/** How often Node looks for requests past their deadline. */
const CONNECTION_CHECK_MS = 1000;
/** Seconds a client told to back off (429) should wait before retrying. */
const RETRY_AFTER_SECONDS = 1;
/** A request's headers and body must arrive within this (a client that stalls one holds a socket, and shutdown waits for it). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Why a generation stopped when the server shut down under it. */
export class ServerShutdownError extends Error {
    public constructor() {
        super("the server is shutting down: this generation was stopped; retry on a running server");
        this.name = "ServerShutdownError";
    }
}

/** Turns a chat into a prompt (the engine's `ChatFormatter`, or anything else in tests). */
export interface ChatPromptFormatter {
    format(messages: readonly ChatMessage[]): ChatPrompt;
}

export type ServerOptions = {
    readonly pool: DecoderPool,
    readonly metrics: ServerMetrics,
    readonly chat: ChatPromptFormatter,
    /** The name `/v1/models` lists and requests must use (or omit). */
    readonly modelId: string,
    /**
     * Decoding settings of requests that do not set their own (from the `bild serve` flags); its
     * `timeLimit` also caps every request's.
     */
    readonly defaults: DecodingSettings,
    /** Log requests to standard output. Defaults to false. */
    readonly logger?: boolean,
    /** When set, every route but `/health` needs `Authorization: Bearer <apiKey>` (else 401). Defaults to none. */
    readonly apiKey?: string,
    /**
     * Aborted when the server shuts down and running generations must stop: a stream then ends with
     * an error event, a plain request gets 503. Defaults to none.
     */
    readonly shutdown?: AbortSignal,
    /**
     * When set, a request whose `Host` header names another host gets 403, so that a web page
     * rebinding its own domain to this address (DNS rebinding) cannot reach the server. Defaults to
     * no check.
     */
    readonly allowedHosts?: readonly string[]
};

/**
 * The host part of a `Host` header or an `--allowed-hosts` entry: `127.0.0.1:8080` → `127.0.0.1`,
 * `[::1]:80` and `[::1]` → `::1`; a bare IPv6 literal (`::1`, an entry) is kept whole, not read as
 * host `:` and port 1.
 */
export function hostOf(header: string): string {
    const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
    if (bracketed != null)
        return bracketed[1]!.toLowerCase();
    if (header.indexOf(":") !== header.lastIndexOf(":"))
        return header.toLowerCase();
    return header.replace(/:\d+$/, "").toLowerCase();
}

/** Compares a header with the secret in time that does not depend on where they first differ. */
function sameSecret(header: string | undefined, expected: Buffer): boolean {
    const given = Buffer.from(header ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Builds the OpenAI-compatible HTTP server over a pool of decoders (not listening yet). */
export function createServer(options: ServerOptions): FastifyInstance {
    const {pool, metrics, modelId} = options;
    const serverTimeLimit = options.defaults.timeLimit ?? Number.POSITIVE_INFINITY;
    const app = Fastify({
        logger: options.logger ?? false,
        // Node checks these deadlines every `connectionsCheckingInterval` (30 s by default), which let
        // an idle socket live ~28 s; a body still arriving after the deadline is cut by the hook below.
        serverFactory: (handler) => createHttpServer({
            requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: CONNECTION_CHECK_MS
        }, handler),
        requestTimeout: REQUEST_TIMEOUT_MS,
        routerOptions: {ignoreTrailingSlash: true},
        // close() ends idle keep-alive connections at once instead of waiting for their clients.
        forceCloseConnections: "idle",
        // Wrong types are errors, not something to coerce; unknown fields are kept (clients send many).
        ajv: {customOptions: {coerceTypes: false, removeAdditional: false, allErrors: false}}
    });

    app.setErrorHandler((error: Error & {statusCode?: number, validation?: unknown}, request, reply) => {
        const status = error.statusCode != null && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
        if (status === 500)
            request.log.error(error);
        void reply.status(status).send(status === 500
            ? errorBody("internal server error", "server_error")
            : errorBody(error.message, "invalid_request_error"));
    });
    app.setNotFoundHandler((request, reply) => {
        void reply.status(404).send(errorBody(`no route ${request.method} ${request.url}`, "not_found_error"));
    });
    const bodyDeadlines = new WeakMap<FastifyRequest, NodeJS.Timeout>();
    const allowedHosts = options.allowedHosts == null ? undefined : new Set(options.allowedHosts.map(hostOf));
    const expectedAuthorization = options.apiKey == null ? undefined : Buffer.from(`Bearer ${options.apiKey}`);
    app.addHook("onRequest", async (request, reply) => {
        // The body within the deadline too: one dribbled byte by byte is cut off (Node's own request
        // timeout did not end one).
        const deadline = setTimeout(() => {
            if (reply.sent)
                return;
            reply.raw.once("finish", () => request.raw.socket?.destroy());
            void reply.status(408).header("connection", "close").send(errorBody(
                `the request body did not arrive within ${REQUEST_TIMEOUT_MS / 1000} s: send the whole request at once`, "invalid_request_error"));
        }, REQUEST_TIMEOUT_MS);
        bodyDeadlines.set(request, deadline);
        reply.raw.once("close", () => clearTimeout(deadline));
        const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers["content-type"] ?? "")?.[1]?.toLowerCase();
        if (charset != null && charset !== "utf-8" && charset !== "utf8")
            return reply.status(415).send(errorBody(`request bodies are read as UTF-8, not ${charset}: send JSON in UTF-8`, "invalid_request_error"));
        if (allowedHosts != null && !allowedHosts.has(hostOf(request.headers.host ?? "")))
            return reply.status(403).send(errorBody(
                `host "${request.headers.host ?? ""}" is not served here: use one of ${[...allowedHosts].join(", ")} (serve --allowed-hosts adds more)`,
                "permission_error"));
        if (expectedAuthorization != null && request.routeOptions.url !== "/health" && !sameSecret(request.headers.authorization, expectedAuthorization))
            return reply.status(401).send(errorBody(
                "missing or wrong API key: send the header Authorization: Bearer <key> with the key the server was started with",
                "authentication_error", null, "invalid_api_key"));
        return undefined;
    });
    app.addHook("preValidation", async (request) => {
        clearTimeout(bodyDeadlines.get(request));
    });
    app.addHook("onResponse", async (request, reply) => {
        const endpoint = request.routeOptions.url ?? "unknown";
        metrics.recordRequest(endpoint, reply.statusCode, reply.elapsedTime / 1000);
    });

    app.get("/health", async () => ({status: "ok", parallel: pool.size, busy: pool.busy, queued: pool.queued}));
    app.get("/metrics", async (_request, reply) => {
        void reply.type(metrics.registry.contentType);
        return metrics.registry.metrics();
    });
    app.get("/v1/models", async () => ({
        object: "list",
        data: [{id: modelId, object: "model", created: 0, owned_by: "bild"}]
    }));

    app.post<{Body: CompletionRequestBody}>("/v1/completions", {schema: {body: completionBodySchema}}, (request, reply) => {
        const {prompt} = request.body;
        const promptInput: string | Token[] = typeof prompt === "string"
            ? prompt
            : typeof prompt[0] === "string" ? prompt[0] : prompt as number[];
        return serve(request, reply, "completions", promptInput, [], request.body.logprobs ?? undefined);
    });
    app.post<{Body: ChatRequestBody}>("/v1/chat/completions", {schema: {body: chatBodySchema}}, (request, reply) => {
        const messages = chatMessagesOf(request.body.messages);
        if ("error" in messages)
            return reply.status(400).send(errorBody(messages.error, "invalid_request_error", "messages"));
        const {logprobs, top_logprobs: alternatives} = request.body;
        if (alternatives != null && alternatives > 0 && logprobs !== true)
            return reply.status(400).send(errorBody("top_logprobs needs logprobs: true", "invalid_request_error", "top_logprobs"));
        const formatted = options.chat.format(messages);
        return serve(request, reply, "chat", formatted.tokens, formatted.stop, logprobs === true ? alternatives ?? 0 : undefined);
    });

    /**
     * @param alternatives - set when the request asks for log-probabilities: how many of the most
     *   likely tokens to report at each position besides the one generated.
     */
    async function serve(
        request: FastifyRequest<{Body: CommonRequestBody}>, reply: FastifyReply, endpoint: Endpoint,
        prompt: string | Token[], formatStops: readonly string[], alternatives?: number
    ): Promise<unknown> {
        const body = request.body;
        const rejection = checkRequest(body, modelId);
        if (rejection != null)
            return reply.status(rejection.status).send(errorBody(rejection.message, rejection.type, rejection.param, rejection.code));
        if (alternatives != null && body.stream === true)
            return reply.status(400).send(errorBody("logprobs are not streamed by this server: leave out stream or logprobs", "invalid_request_error", "logprobs"));
        const abort = new AbortController();
        const onShutdown = () => abort.abort(new ServerShutdownError());
        options.shutdown?.addEventListener("abort", onShutdown, {once: true});
        // A client that goes away aborts its generation (or leaves the queue) and frees its decoder.
        reply.raw.on("close", () => {
            options.shutdown?.removeEventListener("abort", onShutdown);
            if (reply.raw.writableFinished || abort.signal.aborted)
                return;
            abort.abort(new Error("client disconnected"));
            // No response finishes, so the onResponse hook never counts it.
            metrics.recordRequest(request.routeOptions.url ?? "unknown", "aborted", reply.elapsedTime / 1000);
        });
        const settings = mergeSettings(options.defaults, decodingSettingsOfRequest(body));
        let plan: DecodingPlan;
        let promptTokens: readonly Token[];
        try {
            plan = planDecoding({
                ...settings, stop: [...settings.stop ?? [], ...formatStops], signal: abort.signal,
                // The server's time limit caps every request's: a request may only ask for less.
                timeLimit: Math.min(settings.timeLimit ?? serverTimeLimit, serverTimeLimit)
            });
        } catch (error) {
            if (isUsageError(error))
                return reply.status(400).send(errorBody(error.message, "invalid_request_error", "bild"));
            throw error;
        }
        try {
            // Before waiting for a decoder: a prompt that cannot run is refused at once.
            promptTokens = pool.prompts.prepare(prompt, plan);
        } catch (error) {
            if (isUsageError(error))
                return reply.status(400).send(errorBody(error.message, "invalid_request_error", endpoint === "chat" ? "messages" : "prompt"));
            throw error;
        }

        let decoder: Decoder;
        try {
            decoder = await pool.acquire(abort.signal);
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
                return await streamResponse(reply, decoder, promptTokens, plan, endpoint, body.stream_options?.include_usage === true);
            const result = await decoder.generate(promptTokens, plan);
            metrics.recordGeneration(result.stats);
            const scores = alternatives == null ? undefined : {tokens: await decoder.scoreWithBig(promptTokens, result.tokens, alternatives), alternatives};
            return reply.send(completionResponse(result, endpoint, plan.mode, modelId, scores));
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
            pool.release(decoder);
        }
    }

    async function streamResponse(
        reply: FastifyReply, decoder: Decoder, prompt: readonly Token[], plan: DecodingPlan, endpoint: Endpoint, includeUsage: boolean
    ): Promise<FastifyReply> {
        const chunks = new StreamChunks(endpoint, modelId);
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
            metrics.recordGeneration(result.stats);
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

    return app;
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
    frequency_penalty: (value) => value === 0,
    presence_penalty: (value) => value === 0,
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
