import type {Token} from "../../src/engine/ModelSequence.js";
import type {RepetitionPenalty} from "../../src/engine/RepetitionPenalty.js";

/**
 * llama.cpp's `llama_sampler_penalties_apply`, written out in single precision as the C++ computes
 * it: the reference the engine's native penalty is checked against, and what the scripted models
 * apply. `logits` is indexed by token; `context` is everything before the next token.
 */
export function penalizeLogits(logits: readonly number[], context: readonly Token[], penalty: RepetitionPenalty): number[] {
    const f = Math.fround;
    const counts = new Map<Token, number>();
    for (const token of context.slice(-penalty.lastN))
        counts.set(token, (counts.get(token) ?? 0) + 1);
    const penalized = logits.slice();
    for (const [token, count] of counts) {
        if (!(token in penalized))
            continue;
        let logit = f(penalized[token]!);
        logit = logit <= 0 ? f(logit * f(penalty.repeat)) : f(logit / f(penalty.repeat));
        penalized[token] = f(logit - f(f(count * f(penalty.frequency)) + f(penalty.presence)));
    }
    return penalized;
}
