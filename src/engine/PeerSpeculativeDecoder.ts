import {DraftSequenceTokenPredictor, type LlamaContext, type Token as LlamaToken} from "node-llama-cpp";
import type {LoadedModel} from "./LoadedModel.js";
import type {Token} from "./ModelSequence.js";

/** node-llama-cpp's `DraftSequenceTokenPredictor` settings (its defaults: 0, 16, 0.6). */
export type PeerSettings = {
    readonly minTokens: number,
    readonly maxTokens: number,
    readonly minConfidence: number
};

export const PEER_DEFAULT_SETTINGS: PeerSettings = {minTokens: 0, maxTokens: 16, minConfidence: 0.6};

/**
 * The peer we measure against: node-llama-cpp's built-in speculative decoding, greedy, with the
 * same two models, on contexts of its own (see `LoadedModel.createSeparateContext`). Each
 * generation runs on fresh sequences so that it pays its own prompt.
 */
export class PeerSpeculativeDecoder implements AsyncDisposable {
    readonly #target: LlamaContext;
    readonly #draft: LlamaContext;

    private constructor(target: LlamaContext, draft: LlamaContext) {
        this.#target = target;
        this.#draft = draft;
    }

    public static async create(target: LoadedModel, draft: LoadedModel): Promise<PeerSpeculativeDecoder> {
        const targetContext = await target.createSeparateContext();
        try {
            return new PeerSpeculativeDecoder(targetContext, await draft.createSeparateContext());
        } catch (error) {
            await targetContext.dispose();
            throw error;
        }
    }

    /**
     * Greedy tokens after `prompt` until `maxTokens` or an end-of-generation token (included).
     * Rejects with llama.cpp's error when the predictor's own draft evaluation fails.
     */
    public async generate(prompt: readonly Token[], maxTokens: number, settings: PeerSettings): Promise<Token[]> {
        // The predictor drafts in a task nobody awaits, so a failure there is an unhandled
        // rejection that would end the process. It is caught here, for as long as this
        // generation's sequences live, and reported as this generation's failure.
        let strayFailure: unknown;
        const onStray = (reason: unknown) => strayFailure ??= reason;
        process.on("unhandledRejection", onStray);
        const draftSequence = this.#draft.getSequence();
        const predictor = new DraftSequenceTokenPredictor(draftSequence, settings);
        const targetSequence = this.#target.getSequence({tokenPredictor: predictor});
        const tokens: Token[] = [];
        try {
            for await (const token of targetSequence.evaluate(prompt as LlamaToken[], {temperature: 0, yieldEogToken: true})) {
                tokens.push(token);
                if (tokens.length >= maxTokens || this.#target.model.isEogToken(token))
                    break;
            }
        } finally {
            predictor.stop();
            await targetSequence.dispose();
            await draftSequence.dispose();
            // Rejections of the last draft evaluation surface on the next turns of the event loop.
            await new Promise((resolve) => setImmediate(resolve));
            process.off("unhandledRejection", onStray);
        }
        if (strayFailure != null)
            throw strayFailure;
        return tokens;
    }

    public async [Symbol.asyncDispose](): Promise<void> {
        await this.#target.dispose();
        await this.#draft.dispose();
    }
}
