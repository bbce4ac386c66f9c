import type {Llama, LlamaContext, LlamaContextSequence, LlamaModel} from "node-llama-cpp";
import type {RepetitionPenalty} from "./RepetitionPenalty.js";

/*
 * node-llama-cpp's public `controlledEvaluate` queues each call through its batch scheduler, takes
 * two locks and creates and frees a native sampler per call: on the reference machine as much time
 * as the little model's own compute (measured in docs/engine.md). The decoding loop makes one call
 * per little token, so this class drives the same native context directly: one reusable greedy
 * sampler (plus a few top-k ones for sampling), one batch per call. These are node-llama-cpp
 * internals of the exact version pinned in package.json; `NativeBatchRunner.attach` checks them.
 */

type LogitIndexes = Uint32Array;

type NativeContext = {
    initBatch(size: number): void,
    addToBatch(sequenceId: number, firstTokenSequenceIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array): LogitIndexes,
    decodeBatch(): Promise<void>,
    sampleToken(
        batchLogitIndex: number, sampler: NativeSampler, probabilities: boolean, confidence: boolean,
        logits: boolean | [tokens: readonly number[], includeMax: boolean, includeMin: boolean, includeSelected: boolean, includeTop: number],
        totalLogitWeight: boolean
    ): Promise<[token: number, probabilities: unknown, confidence: unknown, logits: number[] | undefined, totalLogitWeight: number | undefined]>,
    removeTokenCellsFromSequence(sequenceId: number, startPos: number, endPos: number): boolean,
    setThreads(threads: number): void
};

type NativeSampler = {
    applyConfig(config: {
        temperature: number, topK?: number, seed?: number,
        repeatPenalty?: number, repeatPenaltyMaxTokens?: number, repeatPenaltyFrequencyPenalty?: number,
        repeatPenaltyPresencePenalty?: number, repeatPenaltyTokens?: Uint32Array
    }): void,
    dispose(): void
};

type Internals = {
    context: {_ctx?: NativeContext},
    sequence: {_sequenceId?: number},
    llama: {_bindings?: {AddonSampler?: new (model: unknown) => NativeSampler}},
    model: {_model?: unknown}
};

/** What one position of a batch yields: the greedy token, Σexp(l − l_max), and filtered logits. */
export type NativeNextToken = {
    readonly token: number,
    readonly totalLogitWeight: number,
    /** Flat [token, logit, token, logit, …] of the selected and the requested tokens. */
    readonly logits: readonly number[]
};

/** A repetition penalty and the window of each requested output. */
export type NativePenalty = {readonly penalty: RepetitionPenalty, readonly windows: readonly Uint32Array[]};

const NO_TOKENS: readonly number[] = [];
const MAX_TOP_K_SAMPLERS = 8;

/** Serialises native batches of all sequences of one context (they share one batch buffer). */
export class NativeBatchRunner {
    readonly #context: NativeContext;
    readonly #createSampler: () => NativeSampler;
    readonly #sampler: NativeSampler;
    /** Samplers that cut the candidates to the top k, by k. */
    readonly #topKSamplers = new Map<number, NativeSampler>();
    /** Samplers that apply a repetition penalty first (then cut to the top k, or pick greedily for k = 0), by k. */
    readonly #penaltySamplers = new Map<number, NativeSampler>();
    readonly #batchSize: number;
    readonly #threads: number;
    #queue: Promise<unknown> = Promise.resolve();

    private constructor(context: NativeContext, createSampler: () => NativeSampler, batchSize: number, threads: number) {
        this.#context = context;
        this.#createSampler = createSampler;
        this.#sampler = createSampler();
        this.#sampler.applyConfig({temperature: 0});
        this.#batchSize = batchSize;
        this.#threads = threads;
    }

    public static attach(llama: Llama, model: LlamaModel, context: LlamaContext, threads: number): NativeBatchRunner {
        const internals = {context, llama, model} as unknown as Omit<Internals, "sequence">;
        const native = internals.context._ctx;
        const Sampler = internals.llama._bindings?.AddonSampler;
        if (native == null || Sampler == null || internals.model._model == null || typeof native.sampleToken !== "function")
            throw new Error("this node-llama-cpp version lacks the internals bild relies on: install the version pinned in package.json");
        const nativeModel = internals.model._model;
        return new NativeBatchRunner(native, () => new Sampler(nativeModel), context.batchSize, threads);
    }

    public static sequenceId(sequence: LlamaContextSequence): number {
        const id = (sequence as unknown as Internals["sequence"])._sequenceId;
        if (id == null)
            throw new Error("this node-llama-cpp version lacks the internals bild relies on: install the version pinned in package.json");
        return id;
    }

    /**
     * Appends `tokens` at `startPosition` of the sequence and returns the next-token facts after
     * each of the last `outputCount` tokens; `scoreTokens[i]` adds that token's logit to output i.
     */
    public evaluate(
        sequenceId: number, startPosition: number, tokens: readonly number[], outputCount: number,
        scoreTokens: readonly (number | undefined)[] | undefined, penalty?: NativePenalty
    ): Promise<NativeNextToken[]> {
        return this.#decode(sequenceId, startPosition, tokens, outputCount, async (batchLogitIndex, output) => {
            const scoreToken = scoreTokens?.[output];
            // The penalised greedy chain leaves the penalised logits in place, which the selected
            // token, the scored logit and Σexp are then read from, as without one.
            const sampler = penalty == null ? this.#sampler : this.#penaltySampler(0, penalty, output);
            const [token, , , logits, totalLogitWeight] = await this.#context.sampleToken(
                batchLogitIndex, sampler, false, false,
                [scoreToken == null ? NO_TOKENS : [scoreToken], false, false, true, 0], true
            );
            if (token < 0 || logits == null || totalLogitWeight == null)
                throw new Error("llama.cpp returned no next-token distribution for a position that asked for one");
            return {token, totalLogitWeight, logits};
        });
    }

    /**
     * Like {@link evaluate}, but returns raw logits: of the `topK` most likely tokens (llama.cpp's
     * partial sort cuts them natively), or of the whole vocabulary when `topK` is 0.
     */
    public evaluateLogits(
        sequenceId: number, startPosition: number, tokens: readonly number[], outputCount: number, topK: number,
        penalty?: NativePenalty
    ): Promise<(readonly number[])[]> {
        return this.#decode(sequenceId, startPosition, tokens, outputCount, async (batchLogitIndex, output) => {
            const sampler = penalty != null ? this.#penaltySampler(topK, penalty, output) : topK === 0 ? this.#sampler : this.#topKSampler(topK);
            // Temperature 1 leaves the logits as they are; the sampler's own draw is not used.
            const [token, , , logits] = await this.#context.sampleToken(batchLogitIndex, sampler, false, false, true, false);
            if (token < 0 || logits == null)
                throw new Error("llama.cpp returned no next-token logits for a position that asked for them");
            return logits;
        });
    }

    /** Only called inside {@link #exclusive}, so that evicting a sampler never frees one in use. */
    #topKSampler(topK: number): NativeSampler {
        return this.#cachedSampler(this.#topKSamplers, topK, (sampler) => sampler.applyConfig({temperature: 1, topK, seed: 0}));
    }

    /**
     * The sampler of `topK` set to `output`'s penalty window. node-llama-cpp's sampler keeps its
     * window when the new one equals it or extends it by one token (the next position of a batch,
     * when the token it picked is the one fed), and rebuilds it otherwise: a cheap step either way.
     */
    #penaltySampler(topK: number, {penalty, windows}: NativePenalty, output: number): NativeSampler {
        const sampler = this.#cachedSampler(this.#penaltySamplers, topK, () => {});
        sampler.applyConfig({
            ...(topK === 0 ? {temperature: 0} : {temperature: 1, topK, seed: 0}),
            repeatPenalty: penalty.repeat,
            repeatPenaltyMaxTokens: penalty.lastN,
            repeatPenaltyFrequencyPenalty: penalty.frequency,
            repeatPenaltyPresencePenalty: penalty.presence,
            repeatPenaltyTokens: windows[output]!
        });
        return sampler;
    }

    #cachedSampler(samplers: Map<number, NativeSampler>, topK: number, configure: (sampler: NativeSampler) => void): NativeSampler {
        let sampler = samplers.get(topK);
        if (sampler == null) {
            // Requests choose k freely (the server passes top_k through): keep a few, oldest out.
            if (samplers.size >= MAX_TOP_K_SAMPLERS) {
                const [oldest, evicted] = samplers.entries().next().value!;
                samplers.delete(oldest);
                evicted.dispose();
            }
            sampler = this.#createSampler();
            configure(sampler);
            samplers.set(topK, sampler);
        }
        return sampler;
    }

    /** One batch (or several, past the batch size) and `readOutput` for each requested output. */
    #decode<T>(
        sequenceId: number, startPosition: number, tokens: readonly number[], outputCount: number,
        readOutput: (batchLogitIndex: number, output: number) => Promise<T>
    ): Promise<T[]> {
        return this.#exclusive(async () => {
            const context = this.#context;
            // node-llama-cpp's own scheduler (used by the bench's peer on the same context) may have
            // changed the thread count since our last batch.
            context.setThreads(this.#threads);
            const firstOutput = tokens.length - outputCount;
            const results: T[] = [];
            for (let start = 0; start < tokens.length; start += this.#batchSize) {
                const end = Math.min(tokens.length, start + this.#batchSize);
                const outputsHere = Math.max(0, end - Math.max(start, firstOutput));
                const logitIndexes = new Uint32Array(outputsHere);
                for (let i = 0; i < outputsHere; i++)
                    logitIndexes[i] = end - outputsHere - start + i;
                context.initBatch(end - start);
                const batchLogitIndexes = context.addToBatch(
                    sequenceId, startPosition + start, Uint32Array.from({length: end - start}, (_, i) => tokens[start + i]!), logitIndexes
                );
                await context.decodeBatch();
                for (let i = 0; i < outputsHere; i++)
                    results.push(await readOutput(batchLogitIndexes[i]!, results.length));
            }
            return results;
        });
    }

    public truncate(sequenceId: number, start: number, end: number): Promise<void> {
        return this.#exclusive(async () => {
            if (!this.#context.removeTokenCellsFromSequence(sequenceId, start, end))
                throw new Error(`llama.cpp could not remove KV cache cells ${start}–${end} of sequence ${sequenceId}`);
        });
    }

    public dispose(): void {
        this.#sampler.dispose();
        for (const sampler of [...this.#topKSamplers.values(), ...this.#penaltySamplers.values()])
            sampler.dispose();
    }

    #exclusive<T>(task: () => Promise<T>): Promise<T> {
        const run = this.#queue.then(task, task);
        this.#queue = run.catch(() => undefined);
        return run;
    }
}
