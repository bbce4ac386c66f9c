import type {LogitPairs, ModelSequence, Token} from "../engine/ModelSequence.js";
import type {ModelPair} from "../engine/ModelPair.js";
import type {RepetitionPenalty} from "../engine/RepetitionPenalty.js";
import type {TextCodec} from "../engine/Tokenizer.js";
import {GenerationState} from "./GenerationState.js";
import {PromptPreparer} from "./PromptPreparer.js";
import type {GenerationResult} from "./GenerationResult.js";
import type {GenerateOptions} from "./GenerateOptions.js";
import {DecodingPlan, planDecoding} from "./DecodingPlan.js";
import {cutAtStop, streamableLength} from "./stopText.js";
import {MODE_TABLE, type ModeSpec} from "./modeTable.js";
import {GreedyChooser} from "./strategies/GreedyChooser.js";
import {SamplingChooser} from "./strategies/SamplingChooser.js";
import {seededRandom} from "./sampling/RandomSource.js";
import {NgramMemory} from "./drafters/NgramMemory.js";
import type {BigModelPlacement} from "./settings/decodingSettings.js";

/** The parts a {@link Decoder} runs on: one sequence of each model and their shared tokenizer. */
export type DecoderParts = {
    readonly big: ModelSequence,
    readonly little: ModelSequence,
    readonly codec: TextCodec,
    /** Tokens each sequence can hold: prompt + max tokens must fit. */
    readonly contextSize: number,
    /** Where the big model's layers are; settings left out take that placement's defaults. Defaults to `"local"`. */
    readonly bigPlacement?: BigModelPlacement,
    /**
     * What the n-gram drafter learns, kept across generations. Pass one memory to several decoders of
     * a pair to share it (`bild serve` does). Defaults to a memory of this decoder's own.
     */
    readonly ngramMemory?: NgramMemory
};

/** A token, its text, and the big model's log-probability of it there. */
export type ScoredToken = {readonly token: Token, readonly text: string, readonly logprob: number};

/** The big model's view of one output token, and of the most likely tokens at its position. */
export type TokenScore = ScoredToken & {readonly top: readonly ScoredToken[]};

/** Text chunks as they become final, plus the full result once the iteration ends. */
export type GenerationStream = AsyncIterable<string> & {
    /** Settles when the iteration has run to the end (or failed). */
    readonly result: Promise<GenerationResult>
};

/**
 * Runs generations on one big-model sequence and one little-model sequence, one generation at a
 * time. Consecutive generations reuse the cached prompt prefix. Dispose it to free both sequences.
 */
export class Decoder implements AsyncDisposable {
    readonly #parts: DecoderParts;
    readonly #ngramMemory: NgramMemory;
    #busy = false;

    /** How this decoder turns a prompt into checked token ids (a server checks a request with it before queueing). */
    public readonly prompts: PromptPreparer;

    public constructor(parts: DecoderParts) {
        this.#parts = parts;
        this.#ngramMemory = parts.ngramMemory ?? new NgramMemory();
        this.prompts = new PromptPreparer(parts.codec, parts.contextSize, {big: parts.big.vocabularySize, little: parts.little.vocabularySize});
    }

    /** A decoder on fresh sequences of `pair` (each takes one of the pair's sequence slots), with an n-gram memory to share, if given. */
    public static fromPair(pair: ModelPair, ngramMemory?: NgramMemory): Decoder {
        const big = pair.big.createSequence();
        try {
            return new Decoder({
                big, little: pair.createLittleSequence(), codec: pair.tokenizer, contextSize: pair.contextSize, bigPlacement: bigPlacementOf(pair), ngramMemory
            });
        } catch (error) {
            void big[Symbol.asyncDispose]();
            throw error;
        }
    }

    /**
     * @param prompt - text, or token ids used as they are (BOS included where the model wants it).
     * @param options - settings, or a plan made by {@link planDecoding} (which checks them once).
     */
    public async generate(prompt: string | readonly Token[], options: GenerateOptions | DecodingPlan = {}): Promise<GenerationResult> {
        const steps = this.#decode(prompt, this.#asPlan(options));
        let step = await steps.next();
        while (step.done !== true)
            step = await steps.next();
        return step.value;
    }

    /**
     * Like {@link generate}, but yields text as soon as no rollback or stop string can change it.
     * The chunks joined equal `result.text`.
     */
    public stream(prompt: string | readonly Token[], options: GenerateOptions | DecodingPlan = {}): GenerationStream {
        const resolved = this.#asPlan(options);
        let settle!: {resolve(result: GenerationResult): void, reject(error: unknown): void};
        const result = new Promise<GenerationResult>((resolve, reject) => settle = {resolve, reject});
        // Without a reader of `result`, a failure surfaces through the iterator alone.
        result.catch(() => {});
        const chunks = this.#streamChunks(prompt, resolved, settle);
        return {result, [Symbol.asyncIterator]: () => chunks};
    }

    /**
     * The big model's raw log-probabilities of `tokens` after `prompt` (temperature and truncation not
     * applied), and at each position its `topK` most likely tokens with theirs: one batched big-model
     * pass (two with `topK`), for callers that report log-probabilities (the server's `logprobs`).
     */
    public async scoreWithBig(promptInput: string | readonly Token[], tokens: readonly Token[], topK = 0): Promise<TokenScore[]> {
        this.#acquire();
        try {
            const {big, codec} = this.#parts;
            const prompt = typeof promptInput === "string" ? codec.encodePrompt(promptInput) : promptInput;
            if (tokens.length === 0 || prompt.length === 0)
                return [];
            // Position i's distribution comes out of the token before it: the prompt's last, then the output's.
            const fed = [prompt.at(-1)!, ...tokens.slice(0, -1)];
            await reusePromptPrefix(big, prompt);
            if (big.tokens.length < prompt.length - 1)
                await big.evaluate(prompt.slice(big.tokens.length, -1), 1);
            const facts = await big.evaluate(fed, tokens.length, tokens);
            let alternatives: LogitPairs[] = [];
            if (topK > 0) {
                await big.truncate(prompt.length - 1);
                alternatives = await big.evaluateLogits(fed, tokens.length, topK);
            }
            return facts.map((fact, i) => {
                const pairs = alternatives[i] ?? [];
                const top: ScoredToken[] = [];
                // −log p(x) = l_max − l_x + ln Σ exp(l − l_max), and the top probability is 1 / Σ.
                const logitMax = Math.max(...pairs.filter((_, k) => k % 2 === 1));
                for (let k = 0; k < pairs.length; k += 2)
                    top.push({token: pairs[k]!, text: codec.piece(pairs[k]!), logprob: pairs[k + 1]! - logitMax + Math.log(fact.topProbability)});
                // The engine may return more than the k asked for (the seam promises at least them).
                top.sort((a, b) => b.logprob - a.logprob);
                return {token: tokens[i]!, text: codec.piece(tokens[i]!), logprob: -fact.scoredNll, top: top.slice(0, topK)};
            });
        } finally {
            this.#busy = false;
        }
    }

    /** Empties both KV caches, so that the next generation pays for its whole prompt. */
    public async clearCache(): Promise<void> {
        if (this.#busy)
            throw new Error("cannot clear the cache of a Decoder while it generates");
        await this.#parts.big.truncate(0);
        await this.#parts.little.truncate(0);
    }

    public async [Symbol.asyncDispose](): Promise<void> {
        await this.#parts.big[Symbol.asyncDispose]();
        await this.#parts.little[Symbol.asyncDispose]();
    }

    async *#streamChunks(
        prompt: string | readonly Token[], options: DecodingPlan,
        settle: {resolve(result: GenerationResult): void, reject(error: unknown): void}
    ): AsyncGenerator<string, void, void> {
        const {codec} = this.#parts;
        const steps = this.#decode(prompt, options);
        try {
            let emitted = 0;
            let decodedFinal = 0;
            let step = await steps.next();
            for (; step.done !== true; step = await steps.next()) {
                const state = step.value;
                if (state.finalLength === decodedFinal)
                    continue;
                decodedFinal = state.finalLength;
                const text = codec.decode(state.tokens.slice(state.promptLength, state.promptLength + decodedFinal));
                const end = streamableLength(text, options.stop);
                if (end > emitted) {
                    yield text.slice(emitted, end);
                    emitted = end;
                }
            }
            const result = step.value;
            if (result.text.length > emitted)
                yield result.text.slice(emitted);
            settle.resolve(result);
        } catch (error) {
            settle.reject(error);
            throw error;
        } finally {
            // A reader that stops early ends the generation and frees the decoder.
            await steps.return(undefined as never);
        }
    }

    /**
     * The one generation path: takes the decoder, yields the state after every step (checking the
     * abort signal between steps), returns the result, and frees the decoder however it ends.
     */
    async *#decode(prompt: string | readonly Token[], options: DecodingPlan): AsyncGenerator<GenerationState, GenerationResult, void> {
        this.#acquire();
        try {
            const {state, strategy, startTime} = await this.#start(prompt, options);
            const deadline = startTime + options.timeLimit * 1000;
            for await (const _ of strategy.decode(state)) {
                options.signal?.throwIfAborted();
                if (performance.now() > deadline)
                    state.endForTimeLimit();
                yield state;
            }
            return this.#finish(state, options, startTime);
        } finally {
            this.#busy = false;
        }
    }

    #acquire(): void {
        if (this.#busy)
            throw new Error("this Decoder is already generating: wait for it, or create one Decoder per concurrent generation");
        this.#busy = true;
    }

    async #start(prompt: string | readonly Token[], options: DecodingPlan) {
        options.signal?.throwIfAborted();
        const startTime = performance.now();
        const {codec, big, little} = this.#parts;
        const promptTokens = this.prompts.prepare(prompt, options);
        const state = new GenerationState(promptTokens, codec, options.maxTokens, options.stop);
        const {sampling} = options;
        // One random sequence per generation, shared by every draw and test in it, so that the same
        // seed replays the same generation.
        const random = seededRandom(sampling?.seed ?? 0);
        const chooserWith = (penalty: RepetitionPenalty | undefined) =>
            sampling == null ? new GreedyChooser(penalty) : new SamplingChooser(sampling, random, penalty);
        const chooser = chooserWith(options.penalty);
        const draftChooser = options.draftPenalty ? chooser : chooserWith(undefined);
        // llama.cpp's logits depend slightly on how the cached prefix was batched, and a sampled
        // token can flip on any change (a top-p cut moves every probability), so a generation with
        // a caller's seed evaluates its prompt from an empty cache, to replay exactly. Greedy output
        // changes only at near-ties, and unseeded sampling is not replayed: both keep the prefix.
        const prepare = (sequence: ModelSequence) =>
            sampling?.seeded === true ? sequence.truncate(0) : reusePromptPrefix(sequence, promptTokens);
        const mode: ModeSpec = MODE_TABLE[options.mode];
        for (const model of mode.models)
            await prepare(model === "big" ? big : little);
        const strategy = mode.strategy({big, little, chooser, draftChooser, random, ngramMemory: this.#ngramMemoryFor(options)}, options.rules, options.drafting);
        return {state, strategy, startTime};
    }

    /**
     * Drafts decide which random numbers a sampled generation draws, so a generation with a caller's
     * seed drafts from an empty memory of its own, to replay exactly; the others share the decoder's.
     */
    #ngramMemoryFor(options: DecodingPlan): NgramMemory {
        return options.ngramMemory ?? (options.sampling?.seeded === true ? new NgramMemory() : this.#ngramMemory);
    }

    #asPlan(options: GenerateOptions | DecodingPlan): DecodingPlan {
        return options instanceof DecodingPlan ? options : planDecoding(options, this.#parts.bigPlacement);
    }

    #finish(state: GenerationState, options: DecodingPlan, startTime: number): GenerationResult {
        const tokens = state.outputTokens();
        const {stats} = state;
        stats.generatedTokens = tokens.length;
        stats.totalMs = performance.now() - startTime;
        stats.timeOwnMs = Math.max(0, stats.totalMs - stats.timeBigMs - stats.timeLittleMs);
        return {
            text: cutAtStop(this.#parts.codec.decode(tokens), options.stop),
            tokens,
            origins: [...state.origins],
            finishReason: state.finishReason,
            ...(options.sampling == null ? {} : {seed: options.sampling.seed}),
            stats: {...stats, drafters: structuredClone(stats.drafters)}
        };
    }
}

/** Where `pair`'s big model runs. */
export const bigPlacementOf = (pair: ModelPair): BigModelPlacement => pair.big.rpcServers.length > 0 ? "rpc" : "local";

/**
 * Keeps the part of the cache that matches the new prompt, but never the prompt's last token: its
 * evaluation yields the first next-token distribution.
 */
async function reusePromptPrefix(sequence: ModelSequence, prompt: readonly Token[]): Promise<void> {
    const cached = sequence.tokens;
    const limit = Math.min(cached.length, prompt.length - 1);
    let keep = 0;
    while (keep < limit && cached[keep] === prompt[keep])
        keep++;
    await sequence.truncate(keep);
}
