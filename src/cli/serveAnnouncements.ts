import path from "node:path";
import {BildUsageError} from "../errors.js";

/** Names a server bound to these answers to by default; other `Host` headers get 403 (DNS rebinding). */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"];

/** Where `bild serve` was asked to listen, and what it serves. */
export type ServeAddress = {readonly host: string, readonly port: number, readonly big: string, readonly apiKey?: string};

/** The name clients call the model by: the big model's file name. */
export function servedModelId(options: ServeAddress): string {
    return path.basename(options.big).replace(/\.gguf$/i, "");
}

/** The lines on standard error once the server answers. */
export function announceServer(options: ServeAddress & {parallel: number, queue: number}, address: string, loopback: boolean): void {
    if (!loopback && options.apiKey == null)
        process.stderr.write(`bild serve: warning: listening on ${options.host} without an API key: anyone who can reach it can use it (set --api-key or BILD_API_KEY)\n`);
    process.stderr.write(`bild serve: model "${servedModelId(options)}" on ${address} (parallel ${options.parallel}, queue ${options.queue})\n`);
}

/** The one-line reason `listen` failed, naming the fix. */
export function listenError(error: unknown, options: ServeAddress): Error {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${options.host}:${options.port}`;
    if (code === "EADDRINUSE")
        return new BildUsageError(`${where} is already in use: stop what listens there, or pick another --port (0 picks a free one)`);
    if (code === "EACCES")
        return new BildUsageError(`no permission to listen on ${where}: use a port above 1023`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN")
        return new BildUsageError(`cannot listen on host "${options.host}": it is not an address of this machine (use 127.0.0.1, or 0.0.0.0 for all)`);
    return error instanceof Error ? error : new Error(String(error));
}
