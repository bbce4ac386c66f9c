import type {LlamaContext, LlamaModel} from "node-llama-cpp";
import {getEngineLlama, takeNativeError} from "./getEngineLlama.js";
import {LlamaModelSequence} from "./LlamaModelSequence.js";
import {NativeBatchRunner} from "./NativeBatchRunner.js";
import {
    DEFAULT_ATTENTION_PROBE_TOKENS, DEFAULT_BATCH_SIZE, DEFAULT_MAX_CONTEXT_SIZE, DEFAULT_SEQUENCES, DEFAULT_THREADS, type EngineSettings
} from "./EngineSettings.js";
import {chooseFlashAttention, type FlashAttentionChoice} from "./chooseFlashAttention.js";
import {BildUsageError, errorMessage} from "../errors.js";
import {probeRpcServer} from "./rpc/probeRpcServer.js";
import {isRpcServerConnected, placeOnRpcServers, requireRpcBackend} from "./rpc/ggmlBackends.js";

let warnedAboutWorkerPool = false;

/**
 * That this llama.cpp binary can use rpc-servers and that each of `endpoints` answers its
 * handshake, in seconds, before any weights are sent (llama.cpp itself would abort or hang); a
 * server this process already uses is not asked again.
 */
export async function checkRpcServers(endpoints: readonly string[]): Promise<void> {
    if (endpoints.length === 0)
        return;
    requireRpcBackend("rpc-server");
    await Promise.all(endpoints.filter((endpoint) => !isRpcServerConnected(endpoint)).map((endpoint) => probeRpcServer(endpoint, "rpc-server")));
}

/**
 * node-llama-cpp runs llama.cpp on libuv's worker pool, and a multi-threaded model called from the
 * default 4 workers ran up to 4.6× slower per token than from one (docs/engine.md). The `bild` command sets the pool to one worker;
 * a program using the library has to start Node with it.
 */
function warnAboutWorkerPool(): void {
    if (warnedAboutWorkerPool || process.env.UV_THREADPOOL_SIZE === "1")
        return;
    warnedAboutWorkerPool = true;
    process.emitWarning(
        "a model runs on more than one thread while libuv's worker pool has several workers: llama.cpp then decodes several times slower; " +
        "start Node with UV_THREADPOOL_SIZE=1 (see bild's docs/engine.md)",
        {code: "BILD_WORKER_POOL"}
    );
}

/** One GGUF model with its llama.cpp context, handing out {@link LlamaModelSequence}s. */
export class LoadedModel implements AsyncDisposable {
    public readonly filePath: string;
    public readonly model: LlamaModel;
    /** Whether its context runs flash attention, and how that was decided. */
    public readonly flashAttention: FlashAttentionChoice;
    /** The llama.cpp rpc-servers holding its layers (none: this process). */
    public readonly rpcServers: readonly string[];
    readonly #context: LlamaContext;
    readonly #runner: NativeBatchRunner;
    /** False for a view made by {@link withFlashAttention}: the weights are another's to free. */
    readonly #ownsModel: boolean;

    private constructor(
        filePath: string, model: LlamaModel, flashAttention: FlashAttentionChoice, rpcServers: readonly string[], context: LlamaContext,
        runner: NativeBatchRunner, ownsModel = true
    ) {
        this.filePath = filePath;
        this.rpcServers = rpcServers;
        this.model = model;
        this.flashAttention = flashAttention;
        this.#context = context;
        this.#runner = runner;
        this.#ownsModel = ownsModel;
    }

    /**
     * Loads a local GGUF file (resolve URIs first with `resolveModelFile`).
     * @param checkedServers - rpc-servers the caller has just checked with {@link checkRpcServers} (a pair checks both models' at once).
     */
    public static async load(filePath: string, settings: EngineSettings = {}, checkedServers: ReadonlySet<string> = new Set()): Promise<LoadedModel> {
        const llama = await getEngineLlama(settings.gpu);
        const rpcServers = settings.rpcServers ?? [];
        await checkRpcServers(rpcServers.filter((endpoint) => !checkedServers.has(endpoint)));
        let model: LlamaModel;
        await takeNativeError();
        try {
            model = rpcServers.length > 0
                // node-llama-cpp sizes GPU layers by local VRAM; an RPC server's memory is its own to check.
                ? await placeOnRpcServers(rpcServers, "rpc-server", () => llama.loadModel({modelPath: filePath, gpuLayers: "max", ignoreMemorySafetyChecks: true}))
                : await llama.loadModel({modelPath: filePath});
        } catch (error) {
            const reason = await takeNativeError() ?? errorMessage(error);
            throw new BildUsageError(`llama.cpp cannot load ${filePath}: ${reason} (is it a complete GGUF model of a supported architecture?)`);
        }
        const threads = settings.threads ?? DEFAULT_THREADS;
        if (threads > 1)
            warnAboutWorkerPool();
        let context: LlamaContext;
        let flashAttention: FlashAttentionChoice;
        try {
            flashAttention = await chooseFlashAttention(settings.flashAttention, {
                llama, model, filePath, threads, batchSize: settings.batchSize ?? DEFAULT_BATCH_SIZE,
                tokens: settings.attentionProbeTokens ?? DEFAULT_ATTENTION_PROBE_TOKENS, onMeasure: settings.onAttentionTiming,
                onRpcServers: rpcServers.length > 0
            });
            context = await model.createContext({
                // node-llama-cpp fits a range to free memory, from the top down.
                contextSize: settings.contextSize ?? {max: Math.min(DEFAULT_MAX_CONTEXT_SIZE, model.trainContextSize)},
                batchSize: settings.batchSize ?? DEFAULT_BATCH_SIZE,
                threads,
                sequences: settings.sequences ?? DEFAULT_SEQUENCES,
                flashAttention: flashAttention.enabled,
                ...(rpcServers.length > 0 ? {ignoreMemorySafetyChecks: true} : {})
            });
        } catch (error) {
            await model.dispose();
            const reason = await takeNativeError() ?? errorMessage(error);
            throw new BildUsageError(`cannot create a llama.cpp context for ${filePath}: ${reason} (lower the context size)`);
        }
        return new LoadedModel(filePath, model, flashAttention, rpcServers, context, NativeBatchRunner.attach(llama, model, context, threads));
    }

    /** Entries of the model's vocabulary (padding included): its ids run from 0 to this − 1. */
    public get vocabularySize(): number {
        return this.model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    }

    /** llama.cpp's backend the model runs on (`false`: the CPU). */
    public get gpu(): string | false {
        return this.model.llama.gpu;
    }

    /** CPU threads of the model's context. */
    public get threads(): number {
        return this.#context.idealThreads;
    }

    /** KV cache size of each sequence, in tokens. */
    public get contextSize(): number {
        return this.#context.contextSize;
    }

    /** A fresh, empty sequence; dispose it to give its slot back. */
    public createSequence(): LlamaModelSequence {
        return new LlamaModelSequence(this.#context.getSequence(), this.#runner, this.vocabularySize);
    }

    /**
     * A context of its own (same size and threads, one sequence) for code that drives
     * node-llama-cpp's own API. It must not share this model's context: node-llama-cpp dispatches
     * its batches on its own schedule (a token predictor even drafts in the background, after its
     * caller has moved on), and a batch of it running beside one of the native runner's on the same
     * llama_context corrupts both ("sequence positions are not continuous", "Eval has failed").
     */
    public createSeparateContext(): Promise<LlamaContext> {
        const {contextSize, batchSize, idealThreads: threads, flashAttention} = this.#context;
        return this.model.createContext({contextSize, batchSize, threads, flashAttention, sequences: 1});
    }

    /**
     * The same weights in a context of their own (same size and threads, one sequence) with flash
     * attention as given: the bench times a model both ways in one run. Dispose it before this one.
     */
    public async withFlashAttention(enabled: boolean): Promise<LoadedModel> {
        const {contextSize, batchSize, idealThreads: threads} = this.#context;
        const context = await this.model.createContext({contextSize, batchSize, threads, sequences: 1, flashAttention: enabled});
        return new LoadedModel(this.filePath, this.model, {enabled, by: "setting"}, this.rpcServers, context,
            NativeBatchRunner.attach(this.model.llama, this.model, context, threads), false);
    }

    public async [Symbol.asyncDispose](): Promise<void> {
        this.#runner.dispose();
        await this.#context.dispose();
        if (this.#ownsModel)
            await this.model.dispose();
    }
}
