import type {ModelSequence, NextTokenFacts, Token} from "../../engine/ModelSequence.js";
import type {GenerationStats} from "../GenerationResult.js";

export type ModelRole = "big" | "little";

/**
 * Feeds `sequence` every token of `state` it has not seen yet and returns the facts after its last
 * `outputCount` tokens, charging the call to `role` in `stats`.
 */
export async function evaluatePending(
    role: ModelRole, sequence: ModelSequence, tokens: readonly Token[], stats: GenerationStats,
    outputCount: number, scoreTokens?: readonly (Token | undefined)[]
): Promise<NextTokenFacts[]> {
    const pending = tokens.slice(sequence.tokens.length);
    const start = performance.now();
    const facts = await sequence.evaluate(pending, outputCount, scoreTokens);
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
