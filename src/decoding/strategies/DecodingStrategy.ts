import type {GenerationState} from "../GenerationState.js";

/** One way of producing tokens for a {@link GenerationState}. */
export interface DecodingStrategy {
    /**
     * Decodes until `state.isComplete`, yielding whenever the final prefix may have grown, so the
     * caller can stream it or stop between steps.
     */
    decode(state: GenerationState): AsyncGenerator<void, void, void>;
}
