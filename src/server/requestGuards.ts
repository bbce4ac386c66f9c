import {timingSafeEqual} from "node:crypto";
import type {FastifyInstance, FastifyRequest} from "fastify";
import {errorBody} from "./openaiResponses.js";

/** A request's headers, then its body, must each arrive within this (a client that stalls one holds a socket, and shutdown waits for it). */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How often Node looks for requests past their deadline (its default, 30 s, let an idle socket live ~28 s). */
export const CONNECTION_CHECK_MS = 1000;

/** Who may use the server. */
export type AccessRules = {
    /** When set, every route but `/health` needs `Authorization: Bearer <apiKey>` (else 401). */
    readonly apiKey?: string,
    /**
     * When set, a request whose `Host` header names another host gets 403, so that a web page
     * rebinding its own domain to this address (DNS rebinding) cannot reach the server.
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

/**
 * What every request passes before its route runs: its body arrives within the deadline, is UTF-8,
 * names an allowed host, and carries the key.
 */
export function addRequestGuards(app: FastifyInstance, access: AccessRules): void {
    const bodyDeadlines = new WeakMap<FastifyRequest, NodeJS.Timeout>();
    const allowedHosts = access.allowedHosts == null ? undefined : new Set(access.allowedHosts.map(hostOf));
    const expectedAuthorization = access.apiKey == null ? undefined : Buffer.from(`Bearer ${access.apiKey}`);
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
}
