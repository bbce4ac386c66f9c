import {checkRpcServers, LoadedModel} from "./LoadedModel.js";
import type {ModelSequence} from "./ModelSequence.js";
import {SharedVocabularySequence} from "./SharedVocabularySequence.js";
import {Tokenizer} from "./Tokenizer.js";
import {checkSharedTokenizer, readVocabularyFacts} from "./checkSharedTokenizer.js";
import {resolveModelFile, type DownloadProgress} from "./resolveModelFile.js";
import {defaultBigThreads, DEFAULT_THREADS, type EngineSettings} from "./EngineSettings.js";
import {getEngineLlama} from "./getEngineLlama.js";

/** Where to find the two models of a pair: local paths or `hf:` / URL model URIs. */
export type ModelPairSources = {
    readonly big: string,
    readonly little: string
};

/** Settings of each model of a pair: `shared` for both, then per-model overrides. */
export type PairEngineSettings = EngineSettings & {
    /** Overrides for the big model. Its threads default to {@link defaultBigThreads} unless `threads` is given for both. */
    readonly big?: EngineSettings,
    /** Overrides for the little model. Its threads default to {@link DEFAULT_THREADS} unless `threads` is given for both. */
    readonly little?: EngineSettings,
    /** Told how a model named by an `hf:` URI or URL downloads, on first use (a CLI draws a progress bar). */
    readonly onDownloadProgress?: (role: "big" | "little") => DownloadProgress
};

/**
 * A big and a little model that share one tokenizer, loaded with the same engine settings.
 * Dispose it (`await using pair = await ModelPair.load(...)`) to free both models' native memory.
 */
export class ModelPair implements AsyncDisposable {
    public readonly big: LoadedModel;
    public readonly little: LoadedModel;
    public readonly tokenizer: Tokenizer;

    private constructor(big: LoadedModel, little: LoadedModel) {
        this.big = big;
        this.little = little;
        this.tokenizer = new Tokenizer(big.model, big.vocabularySize);
    }

    /**
     * Resolves and checks both files, verifies that their vocabularies match (before any weights
     * are loaded), then loads them.
     */
    public static async load(sources: ModelPairSources, settings: PairEngineSettings = {}): Promise<ModelPair> {
        const [bigPath, littlePath] = await Promise.all([
            resolveModelFile(sources.big, "big", settings.onDownloadProgress?.("big")),
            resolveModelFile(sources.little, "little", settings.onDownloadProgress?.("little"))
        ]);
        const [bigVocabulary, littleVocabulary] = await Promise.all([
            readVocabularyFacts(bigPath, settings.gpu),
            readVocabularyFacts(littlePath, settings.gpu)
        ]);
        checkSharedTokenizer(bigVocabulary, littleVocabulary);

        const {big: bigSettings, little: littleSettings, onDownloadProgress: _, ...shared} = settings;
        // Loaded before the servers are checked: the check asks this binary for its RPC backend.
        const llama = await getEngineLlama(settings.gpu);
        const bigThreads = bigSettings?.threads ?? shared.threads ?? defaultBigThreads(llama.cpuMathCores);
        const bigOptions = {...shared, ...bigSettings, threads: bigThreads};
        const littleOptions = {
            attentionProbeTokens: 1, ...shared, ...littleSettings, threads: littleSettings?.threads ?? shared.threads ?? DEFAULT_THREADS
        };
        // Both models' servers are checked before the big model loads, so that one of the little
        // model's that cannot serve is reported in seconds.
        const checked = new Set([...bigOptions.rpcServers ?? [], ...littleOptions.rpcServers ?? []]);
        await checkRpcServers([...checked]);
        const big = await LoadedModel.load(bigPath, bigOptions, checked);
        try {
            return new ModelPair(big, await LoadedModel.load(littlePath, littleOptions, checked));
        } catch (error) {
            await big[Symbol.asyncDispose]();
            throw error;
        }
    }

    /**
     * A fresh sequence of the little model, for decoding beside the big model: where their
     * vocabularies differ in size, it never reads an id it lacks nor drafts one the big model lacks
     * ({@link SharedVocabularySequence}; the stand-in is the little model's newline, else its EOS).
     */
    public createLittleSequence(): ModelSequence {
        const sequence = this.little.createSequence();
        if (this.little.vocabularySize === this.big.vocabularySize)
            return sequence;
        const {nl, eos} = this.little.model.tokens;
        return new SharedVocabularySequence(sequence, this.big.vocabularySize, nl ?? eos ?? 0);
    }

    /** llama.cpp's backend: `cuda`, `vulkan`, `metal`, or `false` for the CPU. */
    public get gpu(): string | false {
        return this.big.gpu;
    }

    /** The smaller of the two KV cache sizes: what one generation may use. */
    public get contextSize(): number {
        return Math.min(this.big.contextSize, this.little.contextSize);
    }

    public async [Symbol.asyncDispose](): Promise<void> {
        await this.little[Symbol.asyncDispose]();
        await this.big[Symbol.asyncDispose]();
    }
}
