import {spawn, type ChildProcess} from "node:child_process";
import {createInterface} from "node:readline";

/** How an {@link EngineWorker} runs; every field but `args` has a default. */
export type EngineWorkerOptions = {
    /** Node's arguments for the worker: this CLI's `serve` command line. */
    readonly args: readonly string[],
    /** The worker's environment (it names the socket the worker listens on). */
    readonly env: NodeJS.ProcessEnv,
    /** Seconds before the first restart; each restart that fails doubles it. Defaults to 1. */
    readonly restartDelay?: number,
    /** The longest wait between restarts, in seconds. Defaults to 15. */
    readonly maxRestartDelay?: number
};

/** The worker ended before it first answered: its exit code (its reason is on standard error). */
export class WorkerStartError extends Error {
    public constructor(public readonly exitCode: number) {
        super(`the engine process exited with code ${exitCode} before it was ready`);
        this.name = "WorkerStartError";
    }
}

/** A worker says it listens with this message on its IPC channel. */
export const WORKER_READY = "bild-serve-ready";

/**
 * The process that holds the models for `bild serve --big-rpc` (or `--little-rpc`), restarted whenever it ends. llama.cpp's
 * RPC client aborts its process when a server dies mid-call, so the models live in a child process:
 * this one outlives it, fails the requests that were inside it, reports itself unavailable while a
 * new one loads (or cannot, while a server stays down) and answers again once it is up. The worker's
 * standard error passes through; its last `bild: error:` line is the reason given to clients.
 */
export class EngineWorker {
    readonly #options: EngineWorkerOptions;
    #child: ChildProcess | undefined;
    #ready = false;
    #everReady = false;
    #stopping = false;
    #problem = "the models are loading";
    #lastError: string | undefined;
    #delay: number;
    #restartTimer: NodeJS.Timeout | undefined;
    #exited: Promise<number> = Promise.resolve(0);
    /** Settled by the next exit: what requests inside the worker wait for to learn why it ended. */
    #down: {promise: Promise<string>, resolve(reason: string): void};

    public constructor(options: EngineWorkerOptions) {
        this.#options = options;
        this.#delay = options.restartDelay ?? 1;
        this.#down = deferred();
    }

    /** True while a worker answers requests. */
    public get ready(): boolean {
        return this.#ready;
    }

    /** Why no worker answers now. */
    public get problem(): string {
        return this.#problem;
    }

    /** Starts the first worker; rejects with {@link WorkerStartError} when it ends before it is ready (bad flags, a server down). */
    public async start(): Promise<void> {
        const exitCode = await this.#spawn();
        if (exitCode != null)
            throw new WorkerStartError(exitCode);
    }

    /** Why the worker a request was inside ended, once it has (or after `waitMs`, a generic reason). */
    public async whyDown(waitMs: number): Promise<string> {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<string>((resolve) => timer = setTimeout(() => resolve("the engine process stopped answering"), waitMs));
        try {
            return await Promise.race([this.#down.promise, timeout]);
        } finally {
            clearTimeout(timer);
        }
    }

    /** Passes a stop signal on (a second one stops the worker at once) and settles with its exit code; no restart follows. */
    public stop(): Promise<number> {
        this.#stopping = true;
        this.#ready = false;
        this.#problem = "the server is shutting down";
        clearTimeout(this.#restartTimer);
        this.#child?.kill("SIGTERM");
        return this.#exited;
    }

    /** Spawns a worker; settles with undefined once it is ready, or with its exit code if it ends first. */
    #spawn(): Promise<number | undefined> {
        this.#lastError = undefined;
        // Its own process group: a terminal's Ctrl-C reaches this process, which passes one signal on.
        const child = spawn(process.execPath, this.#options.args, {stdio: ["ignore", "inherit", "pipe", "ipc"], env: this.#options.env, detached: true});
        this.#child = child;
        createInterface({input: child.stderr!}).on("line", (line) => {
            process.stderr.write(`${line}\n`);
            const error = /^bild: error: (.+)$/.exec(line);
            if (error != null)
                this.#lastError = error[1]!;
        });
        const stderrDone = new Promise<void>((resolve) => child.stderr!.once("close", resolve));
        let resolveExit!: (code: number) => void;
        this.#exited = new Promise((resolve) => resolveExit = resolve);
        return new Promise((settle) => {
            child.on("message", (message) => {
                if (message !== WORKER_READY)
                    return;
                if (this.#everReady)
                    process.stderr.write("bild serve: the engine is back up\n");
                this.#ready = true;
                this.#everReady = true;
                this.#delay = this.#options.restartDelay ?? 1;
                settle(undefined);
            });
            child.once("exit", (code, signal) => {
                // Its last line may still be in the pipe.
                void stderrDone.then(() => {
                    const exitCode = code ?? 1;
                    this.#ready = false;
                    if (!this.#stopping)
                        this.#problem = this.#lastError ?? `the engine process ended (${signal ?? `exit code ${exitCode}`})`;
                    const down = this.#down;
                    this.#down = deferred();
                    down.resolve(this.#problem);
                    resolveExit(exitCode);
                    settle(exitCode);
                    // A first worker that never answered ends the command (start() rejects): its flags or servers are wrong.
                    if (!this.#stopping && this.#everReady)
                        this.#scheduleRestart();
                });
            });
        });
    }

    #scheduleRestart(): void {
        process.stderr.write(`bild serve: the engine is down (${this.#problem}); requests get 503 until it is back, next try in ${this.#delay} s\n`);
        this.#restartTimer = setTimeout(() => {
            void this.#spawn();
        }, this.#delay * 1000);
        this.#delay = Math.min(this.#options.maxRestartDelay ?? 15, this.#delay * 2);
    }
}

function deferred(): {promise: Promise<string>, resolve(reason: string): void} {
    let resolve!: (reason: string) => void;
    const promise = new Promise<string>((settle) => resolve = settle);
    return {promise, resolve};
}
