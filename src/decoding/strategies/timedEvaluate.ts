import type {ModelSequence, Token} from "../../engine/ModelSequence.js";
import type {GenerationStats, ModelRole} from "../GenerationResult.js";

/**
 * Runs `evaluate` on the tokens of `tokens` that `sequence` has not seen yet, charging the call to
 * `role` in `stats`.
 */
export async function evaluatePending<T>(
    role: ModelRole, sequence: ModelSequence, tokens: readonly Token[], stats: GenerationStats,
    evaluate: (pending: readonly Token[]) => Promise<T>
): Promise<T> {
    const pending = tokens.slice(sequence.tokens.length);
    const start = performance.now();
    const facts = await evaluate(pending);
    chargeTime(role, stats, performance.now() - start);
    if (role === "big") {
        stats.bigCalls++;
        stats.bigTokensEvaluated += pending.length;
    } else {
        stats.littleCalls++;
        stats.littleTokensEvaluated += pending.length;
    }
    return facts;
}

/** Cuts `sequence` back to `length` tokens, charging the time to `role`. */
export async function truncateTimed(role: ModelRole, sequence: ModelSequence, length: number, stats: GenerationStats): Promise<void> {
    const start = performance.now();
    await sequence.truncate(length);
    chargeTime(role, stats, performance.now() - start);
}

function chargeTime(role: ModelRole, stats: GenerationStats, elapsedMs: number): void {
    if (role === "big")
        stats.timeBigMs += elapsedMs;
    else
        stats.timeLittleMs += elapsedMs;
}
