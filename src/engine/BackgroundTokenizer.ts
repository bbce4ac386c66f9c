import {Worker} from "node:worker_threads";
import type {Token} from "./ModelSequence.js";
import type {TokenizeReply, TokenizeRequest} from "./tokenizerWorker.js";

/** How long a closing worker may take to free its model and end before it is terminated. */
const CLOSE_TIMEOUT_MS = 5000;

/**
 * Tokenizes on a worker thread with a vocabulary-only copy of a model, so that a server's event
 * loop does not stop for a long prompt (llama.cpp's tokenizer is synchronous: about half a second
 * per megabyte of text). The same vocabulary and rules as the model's own, so the same tokens.
 */
export class BackgroundTokenizer implements AsyncDisposable {
    readonly #worker: Worker;
    readonly #ready: Promise<void>;
    readonly #pending = new Map<number, {resolve(tokens: Token[]): void, reject(error: unknown): void}>();
    #nextId = 0;

    /** Starts the worker (it loads the vocabulary in the background; requests wait for it). */
    public constructor(modelPath: string) {
        this.#worker = new Worker(new URL("./tokenizerWorker.js", import.meta.url), {workerData: {modelPath}});
        // Never keeps the process alive on its own.
        this.#worker.unref();
        this.#ready = new Promise((resolve, reject) => {
            this.#worker.on("message", (reply: TokenizeReply) => {
                if ("ready" in reply)
                    return resolve();
                this.#pending.get(reply.id)?.resolve([...reply.tokens]);
                this.#pending.delete(reply.id);
            });
            this.#worker.on("error", (error) => {
                reject(error);
                for (const request of this.#pending.values())
                    request.reject(error);
                this.#pending.clear();
            });
        });
        // A failed start surfaces through the requests that wait for it.
        this.#ready.catch(() => {});
    }

    /** The text's tokens, no BOS; special tokens parsed when `specialTokens`. */
    public async encode(text: string, specialTokens: boolean): Promise<Token[]> {
        await this.#ready;
        const id = this.#nextId++;
        return new Promise((resolve, reject) => {
            this.#pending.set(id, {resolve, reject});
            this.#worker.postMessage({id, text, specialTokens} satisfies TokenizeRequest);
        });
    }

    /**
     * Asks the worker to free its model and end (after its start, if it is still loading); only a
     * worker that failed to start, or does not end within {@link CLOSE_TIMEOUT_MS}, is terminated:
     * terminating one that holds the addon's native state aborts the process on a source build.
     */
    public async [Symbol.asyncDispose](): Promise<void> {
        for (const request of this.#pending.values())
            request.reject(new Error("the tokenizer was shut down"));
        this.#pending.clear();
        const exited = new Promise<void>((resolve) => this.#worker.once("exit", () => resolve()));
        try {
            await this.#ready;
        } catch {
            await this.#worker.terminate();
            return;
        }
        this.#worker.postMessage({close: true} satisfies TokenizeRequest);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), CLOSE_TIMEOUT_MS));
        if (await Promise.race([exited, late]) === "late")
            await this.#worker.terminate();
        clearTimeout(timer);
    }
}
