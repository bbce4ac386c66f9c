import {DraftSequenceTokenPredictor, type Token as LlamaToken} from "node-llama-cpp";
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
 * same two models. Each generation runs on fresh sequences so that it pays its own prompt.
 */
export class PeerSpeculativeDecoder {
    readonly #target: LoadedModel;
    readonly #draft: LoadedModel;
    readonly #settings: PeerSettings;

    public constructor(target: LoadedModel, draft: LoadedModel, settings: PeerSettings) {
        this.#target = target;
        this.#draft = draft;
        this.#settings = settings;
    }

    /**
     * Greedy tokens after `prompt` until `maxTokens` or an end-of-generation token (included).
     * Rejects with llama.cpp's error when the predictor's own draft evaluation fails.
     */
    public async generate(prompt: readonly Token[], maxTokens: number): Promise<Token[]> {
        // The predictor drafts in a task nobody awaits, so a failure there (llama.cpp's "Eval has
        // failed", seen after "sequence positions are not continuous" when a draft evaluation
        // races the sequences' disposal) is an unhandled rejection that would end the process.
        // It is caught here, for as long as this generation's sequences live, and reported as
        // this generation's failure.
        let strayFailure: unknown;
        const onStray = (reason: unknown) => strayFailure ??= reason;
        process.on("unhandledRejection", onStray);
        const draftSequence = this.#draft.createNodeLlamaCppSequence();
        const predictor = new DraftSequenceTokenPredictor(draftSequence, this.#settings);
        const targetSequence = this.#target.createNodeLlamaCppSequence(predictor);
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
}
