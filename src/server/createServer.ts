import {createServer as createHttpServer} from "node:http";
import Fastify, {type FastifyInstance} from "fastify";
import type {ChatMessage, ChatPrompt} from "../engine/ChatFormatter.js";
import type {Token} from "../engine/ModelSequence.js";
import {GenerationService, type GenerationServiceOptions} from "./GenerationService.js";
import {errorBody} from "./openaiResponses.js";
import {addRequestGuards, CONNECTION_CHECK_MS, REQUEST_TIMEOUT_MS, type AccessRules} from "./requestGuards.js";
import {chatBodySchema, chatMessagesOf, completionBodySchema, type ChatRequestBody, type CompletionRequestBody} from "./requestSchemas.js";

/** Turns a chat into a prompt (the engine's `ChatFormatter`, or anything else in tests). */
export interface ChatPromptFormatter {
    format(messages: readonly ChatMessage[]): ChatPrompt;
}

export type ServerOptions = GenerationServiceOptions & AccessRules & {
    readonly chat: ChatPromptFormatter,
    /** Log requests to standard output. Defaults to false. */
    readonly logger?: boolean
};

/**
 * Builds the OpenAI-compatible HTTP server over a pool of decoders (not listening yet): Fastify's
 * settings and error answers, the request guards (`requestGuards.ts`), and the routes, which hand
 * generations to the {@link GenerationService}.
 */
export function createServer(options: ServerOptions): FastifyInstance {
    const {pool, metrics, modelId} = options;
    const generations = new GenerationService(options);
    const app = Fastify({
        logger: options.logger ?? false,
        // Node checks these deadlines every `connectionsCheckingInterval`; a body still arriving
        // after the deadline is cut by the guards.
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
    addRequestGuards(app, options);
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
        return generations.serve(request, reply, "completions", promptInput, [], request.body.logprobs ?? undefined);
    });
    app.post<{Body: ChatRequestBody}>("/v1/chat/completions", {schema: {body: chatBodySchema}}, (request, reply) => {
        const messages = chatMessagesOf(request.body.messages);
        if ("error" in messages)
            return reply.status(400).send(errorBody(messages.error, "invalid_request_error", "messages"));
        const {logprobs, top_logprobs: alternatives} = request.body;
        if (alternatives != null && alternatives > 0 && logprobs !== true)
            return reply.status(400).send(errorBody("top_logprobs needs logprobs: true", "invalid_request_error", "top_logprobs"));
        const formatted = options.chat.format(messages);
        return generations.serve(request, reply, "chat", formatted.tokens, formatted.stop, logprobs === true ? alternatives ?? 0 : undefined);
    });

    return app;
}
