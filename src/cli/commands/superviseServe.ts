import {mkdtemp, rm} from "node:fs/promises";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import {createWorkerProxy} from "../../server/createWorkerProxy.js";
import {EngineWorker, WorkerStartError} from "../../server/EngineWorker.js";
import {hostOf} from "../../server/requestGuards.js";
import {announceServer, listenError, LOOPBACK_HOSTS} from "../serveAnnouncements.js";
import type {ServeOptions} from "./serveCommand.js";

/** Set in the engine process's environment: the Unix socket it listens on instead of --host/--port. */
export const WORKER_SOCKET_ENV = "BILD_SERVE_WORKER_SOCKET";

/**
 * `bild serve --big-rpc` (or `--little-rpc`): this process listens and passes requests to an engine process (this same
 * command, told by WORKER_SOCKET_ENV to listen on a private Unix socket), which it restarts when it
 * ends. llama.cpp's RPC client aborts the process holding the big model when an rpc-server dies
 * mid-call; split this way, that request fails (502), the server reports itself unavailable (503,
 * `/health` too) while a server stays down, and answers again once the engine is back.
 */
export async function superviseServe(options: ServeOptions): Promise<void> {
    const directory = await mkdtemp(path.join(os.tmpdir(), "bild-serve-"));
    const socketPath = path.join(directory, "engine.sock");
    const worker = new EngineWorker({
        args: [...process.execArgv, ...process.argv.slice(1)],
        env: {...process.env, [WORKER_SOCKET_ENV]: socketPath}
    });
    const proxy = createWorkerProxy(worker, socketPath);
    try {
        // Listening first: a port in use is reported before the models load.
        const address = await listen(proxy, options).catch((error: unknown) => {
            throw listenError(error, options);
        });
        try {
            await worker.start();
        } catch (error) {
            // The engine said why on standard error; its exit code (2 for bad flags or a server down) is ours.
            if (error instanceof WorkerStartError) {
                process.exitCode = error.exitCode;
                return;
            }
            throw error;
        }
        announceServer(options, address, LOOPBACK_HOSTS.includes(hostOf(options.host)));
        await new Promise<void>((resolve) => {
            process.once("SIGINT", resolve);
            process.once("SIGTERM", resolve);
        });
        // The engine shuts down gracefully (its own message says how long); a second signal stops it at once.
        const again = () => void worker.stop();
        process.on("SIGINT", again);
        process.on("SIGTERM", again);
        proxy.close();
        proxy.closeIdleConnections();
        process.exitCode = await worker.stop();
    } finally {
        proxy.closeAllConnections();
        await rm(directory, {recursive: true, force: true});
    }
}

function listen(server: http.Server, {host, port}: ServeOptions): Promise<string> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            const address = server.address();
            if (address == null || typeof address === "string")
                return resolve(String(address));
            resolve(`http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`);
        });
    });
}
