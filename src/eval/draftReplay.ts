import type {ModelSequence, NextTokenFacts, Token} from "../engine/ModelSequence.js";
import type {RepetitionPenalty} from "../engine/RepetitionPenalty.js";
import type {LookupReplay} from "./lookupAgreement.js";
import {callCost, type CallPricing, type OracleSchedule} from "./oracleBound.js";

/** The little model's greedy draft from one output position on: each token with its top probability. */
export type DraftRun = readonly NextTokenFacts[];

/**
 * Per output position, the run the little model drafts there, up to `maxDraft` tokens and not past
 * the output's end: greedily from the prompt and the output before the position, each token read
 * under `penalty` with the run's own drafts in its window, as it drafts in a lossless generation
 * whose output is `output` (which the big model alone decides, so every drafting rule meets the
 * same runs).
 */
export async function littleDraftRuns(
    little: ModelSequence, prompt: readonly Token[], output: readonly Token[], maxDraft: number, penalty?: RepetitionPenalty
): Promise<DraftRun[]> {
    const context = [...prompt, ...output];
    await little.truncate(0);
    if (prompt.length > 1)
        await little.evaluate(prompt.slice(0, -1), 1);
    const runs: DraftRun[] = [];
    for (let position = 0; position < output.length; position++) {
        await little.truncate(prompt.length + position - 1);
        const length = Math.min(maxDraft, output.length - position);
        const run: NextTokenFacts[] = [];
        let [facts] = await little.evaluate([context[prompt.length + position - 1]!], 1, undefined, penalty);
        while (run.length < length) {
            run.push(facts!);
            if (run.length < length)
                [facts] = await little.evaluate([facts!.token], 1, undefined, penalty);
        }
        runs.push(run);
    }
    return runs;
}

/**
 * The calls of BiLD with lookup first if each run were drafted perfectly by whichever drafter makes
 * the generation cheapest: from each position, the big model writes the token itself, or the little
 * model drafts any leading part of its agreeing run (dropping the token after it, as in
 * `oracleSchedule`), or lookup proposes any leading part of its agreeing proposal; the cheapest
 * sequence of runs by the cost curves (a shortest path over positions).
 * @param littleAgreeing - per position, how many tokens from there the little model's greedy run gets right.
 */
export function lookupFirstOracleSchedule(
    littleAgreeing: readonly number[], lookup: readonly LookupReplay[], promptTokens: number, little: CallPricing, big: CallPricing
): OracleSchedule {
    const length = littleAgreeing.length;
    const after = (position: number, run: number) => position + run === length ? length : position + run + 1;
    // cheapest[p]: ms from position p on; choice[p]: its run, as [drafter, length].
    const cheapest = new Array<number>(length + 1).fill(0);
    const choice = new Array<readonly ["little" | "lookup" | "big", number]>(length);
    for (let position = length - 1; position >= 0; position--) {
        cheapest[position] = callCost(big.curve, 1) + cheapest[position + 1]!;
        choice[position] = ["big", 0];
        const options = [
            ...Array.from({length: littleAgreeing[position]! + 1}, (_, run) => ["little", run] as const),
            ...Array.from({length: lookup[position]!.agreeing}, (_, run) => ["lookup", run + 1] as const)
        ];
        for (const [drafter, run] of options) {
            const littleCalls = drafter === "little" ? run + (position + run < length ? 1 : 0) : 0;
            const ms = littleCalls * callCost(little.curve, 1) + callCost(big.curve, 1 + run) + cheapest[after(position, run)]!;
            if (ms < cheapest[position]!) {
                cheapest[position] = ms;
                choice[position] = [drafter, run];
            }
        }
    }
    const schedule: OracleSchedule = {little: [], big: []};
    let bigPending = promptTokens;
    let littlePending = promptTokens;
    for (let position = 0; position < length;) {
        const [drafter, run] = choice[position]!;
        if (drafter === "little") {
            const calls = run + (position + run < length ? 1 : 0);
            for (let call = 0; call < calls; call++) {
                schedule.little.push(littlePending);
                littlePending = 1;
            }
        } else
            littlePending += run + 1;
        schedule.big.push(bigPending + run);
        bigPending = 1;
        position = after(position, run);
    }
    return schedule;
}

/** Per position, how many tokens from there on have rank 1 (the little model's argmax is big's token). */
export function agreeingRuns(ranks: readonly number[]): number[] {
    const runs = new Array<number>(ranks.length + 1).fill(0);
    for (let position = ranks.length - 1; position >= 0; position--)
        runs[position] = ranks[position] === 1 ? runs[position + 1]! + 1 : 0;
    return runs.slice(0, ranks.length);
}
