import type {Decoder} from "../decoding/Decoder.js";
import type {PromptPreparer} from "../decoding/PromptPreparer.js";

/** The wait queue is full: the caller should answer 429. */
export class QueueFullError extends Error {
    public constructor(queueLimit: number) {
        super(`all decoders are busy and ${queueLimit} requests are already waiting: retry later`);
        this.name = "QueueFullError";
    }
}

type Waiter = {resolve(decoder: Decoder): void, reject(error: unknown): void};

/**
 * A fixed set of decoders (one per parallel generation) and a bounded FIFO queue of requests
 * waiting for one. A waiter whose signal aborts leaves the queue at once.
 */
export class DecoderPool {
    readonly #free: Decoder[];
    readonly #all: readonly Decoder[];
    readonly #waiters: Waiter[] = [];
    readonly #queueLimit: number;
    readonly #whenDrained: (() => void)[] = [];
    /** When each busy decoder was handed out (ms, monotonic). */
    readonly #busySince = new Map<Decoder, number>();

    public constructor(decoders: readonly Decoder[], queueLimit: number) {
        this.#all = decoders;
        this.#free = [...decoders];
        this.#queueLimit = queueLimit;
    }

    public get size(): number {
        return this.#all.length;
    }

    public get busy(): number {
        return this.#all.length - this.#free.length;
    }

    public get queued(): number {
        return this.#waiters.length;
    }

    /** Seconds the decoder busy the longest has been, 0 when none is. */
    public longestBusySeconds(now = performance.now()): number {
        let since = now;
        for (const start of this.#busySince.values())
            since = Math.min(since, start);
        return (now - since) / 1000;
    }

    /** Checks prompts as every decoder of the pool would (they share one pair). */
    public get prompts(): PromptPreparer {
        return this.#all[0]!.prompts;
    }

    /** Settles once every decoder is free: no generation is inside the models any more. */
    public drained(): Promise<void> {
        if (this.busy === 0)
            return Promise.resolve();
        return new Promise((resolve) => this.#whenDrained.push(resolve));
    }

    /** A free decoder, now or when one is released; throws {@link QueueFullError} when the queue is full. */
    public acquire(signal?: AbortSignal): Promise<Decoder> {
        signal?.throwIfAborted();
        const decoder = this.#free.pop();
        if (decoder != null)
            return Promise.resolve(this.#handOut(decoder));
        if (this.#waiters.length >= this.#queueLimit)
            return Promise.reject(new QueueFullError(this.#queueLimit));
        return new Promise<Decoder>((resolve, reject) => {
            const waiter: Waiter = {
                resolve: (value) => {
                    signal?.removeEventListener("abort", onAbort);
                    resolve(this.#handOut(value));
                },
                reject
            };
            const onAbort = () => {
                const index = this.#waiters.indexOf(waiter);
                if (index >= 0)
                    this.#waiters.splice(index, 1);
                reject(signal!.reason);
            };
            signal?.addEventListener("abort", onAbort, {once: true});
            this.#waiters.push(waiter);
        });
    }

    public release(decoder: Decoder): void {
        this.#busySince.delete(decoder);
        const waiter = this.#waiters.shift();
        if (waiter != null)
            waiter.resolve(decoder);
        else
            this.#free.push(decoder);
        if (this.busy === 0)
            for (const resolve of this.#whenDrained.splice(0))
                resolve();
    }

    #handOut(decoder: Decoder): Decoder {
        this.#busySince.set(decoder, performance.now());
        return decoder;
    }

    /** Frees the decoders once no generation runs (disposing one inside a model call would crash the process). */
    public async [Symbol.asyncDispose](): Promise<void> {
        for (const waiter of this.#waiters.splice(0))
            waiter.reject(new Error("the server is shutting down"));
        await this.drained();
        for (const decoder of this.#all)
            await decoder[Symbol.asyncDispose]();
    }
}
