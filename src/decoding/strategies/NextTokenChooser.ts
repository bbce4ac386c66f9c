import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {GenerationStats} from "../GenerationResult.js";
import type {TokenChoice} from "../TokenChoice.js";
import type {ModelRole} from "../GenerationResult.js";

/** How a strategy gets a model's next tokens: greedy, or sampled from adjusted distributions. */
export interface NextTokenChooser {
    /**
     * Feeds `sequence` every token of `tokens` it has not seen yet and returns its choices after the
     * last `outputCount` of them, charging the model call to `role` in `stats`.
     * @param scoreTokens - optional, one per output: the token whose −log p to report there.
     */
    choose(
        role: ModelRole, sequence: ModelSequence, tokens: readonly Token[], stats: GenerationStats,
        outputCount: number, scoreTokens?: readonly (Token | undefined)[]
    ): Promise<TokenChoice[]>;
}
