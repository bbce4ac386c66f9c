import http, {type IncomingMessage, type ServerResponse} from "node:http";
import type {EngineWorker} from "./EngineWorker.js";
import {errorBody} from "./openaiResponses.js";
import {CONNECTION_CHECK_MS, REQUEST_TIMEOUT_MS} from "./requestGuards.js";

/** Seconds a client is told to wait (`Retry-After`) while the engine is down. */
const RETRY_AFTER_SECONDS = 5;
/** How long a request cut by a dying worker waits for the worker's reason before answering without it. */
const REASON_WAIT_MS = 2000;
/** Hop-by-hop headers: they describe one connection, not the message passed on. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

/**
 * The HTTP front of `bild serve --big-rpc` (or `--little-rpc`): passes each request to the {@link EngineWorker} over its
 * Unix socket and its answer back (streams included), and answers for it when it cannot: 503 with
 * the reason while it is down or loading (`/health` too), 502 for a request inside a worker that
 * ended (an error event where the stream had begun). Access rules, limits and routes stay the
 * worker's: the request passes through unchanged.
 */
export function createWorkerProxy(worker: EngineWorker, socketPath: string): http.Server {
    return http.createServer({requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: CONNECTION_CHECK_MS},
        (request, response) => {
            if (!worker.ready)
                return unavailable(request, response, worker.problem);
            const upstream = http.request({socketPath, method: request.method, path: request.url, headers: withoutHopByHop(request.headers)});
            let finished = false;
            upstream.on("response", (answer) => {
                response.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
                answer.pipe(response);
                answer.on("end", () => finished = true);
                answer.on("close", () => {
                    if (!finished)
                        void cut(worker, response, answer.headers["content-type"]);
                });
            });
            upstream.on("error", () => {
                if (!response.headersSent)
                    void cut(worker, response, undefined);
            });
            // A client that leaves stops its generation in the worker, as it would without the proxy.
            response.on("close", () => {
                if (!finished)
                    upstream.destroy();
            });
            request.pipe(upstream);
        });
}

function unavailable(request: IncomingMessage, response: ServerResponse, problem: string): void {
    // The body is not read: drain it so that the connection stays usable.
    request.resume();
    const body = new URL(request.url ?? "/", "http://bild").pathname.replace(/\/$/, "") === "/health"
        ? {status: "unavailable", error: problem}
        : errorBody(`the big model is unavailable: ${problem}; retry in a few seconds`, "server_error", null, "engine_unavailable");
    sendJson(response, 503, body, {"retry-after": String(RETRY_AFTER_SECONDS)});
}

/** Ends a response the worker could not finish: 502, or an error event in a stream already begun. */
async function cut(worker: EngineWorker, response: ServerResponse, contentType: string | string[] | undefined): Promise<void> {
    const reason = await worker.whyDown(REASON_WAIT_MS);
    if (response.destroyed || response.writableEnded)
        return;
    const body = errorBody(`the generation failed: ${reason}`, "server_error", null, "engine_failed");
    if (!response.headersSent)
        sendJson(response, 502, body, {});
    else if (String(contentType).startsWith("text/event-stream"))
        response.end(`data: ${JSON.stringify(body)}\n\n`);
    else
        response.destroy();
}

function sendJson(response: ServerResponse, status: number, body: object, headers: Record<string, string>): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {...headers, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text)});
    response.end(text);
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
    return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}
