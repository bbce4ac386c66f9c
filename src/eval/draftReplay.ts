import type {FallbackPolicy} from "../decoding/policies/FallbackPolicy.js";
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
 * The calls of a lossless generation whose little model drafts under `policy` (the rule object the
 * decoder uses, asked as the decoder asks it) and, with `lookup`, whose runs are lookup's proposal
 * wherever lookup proposes (BiLD with `draftLookup`): its output is `output` whatever the rule, so
 * the rule only decides how each run is drafted, and the runs of `runs` say what it drafts. Each
 * little call feeds what its cache has not seen (after a lookup run, the kept tokens too); each big
 * call the run and the token before it.
 */
export function replaySchedule(
    runs: readonly DraftRun[], output: readonly Token[], promptTokens: number, policy: FallbackPolicy, lookup?: readonly LookupReplay[]
): OracleSchedule {
    const little: number[] = [];
    const big: number[] = [];
    let bigPending = promptTokens;
    let littlePending = promptTokens;
    let position = 0;
    while (position < output.length) {
        const proposal = lookup?.[position];
        let kept = 0;
        let agreeing = 0;
        let drafted = 0;
        if (proposal != null && proposal.proposed > 0) {
            kept = proposal.proposed;
            agreeing = proposal.agreeing;
        } else {
            const run = runs[position]!;
            while (kept < run.length && !policy.beforeDraft(kept)) {
                little.push(littlePending);
                littlePending = 1;
                drafted++;
                const decision = policy.onDraft(run[kept]!, kept);
                if (decision === "dropAndVerify")
                    break;
                kept++;
                if (decision === "keepAndVerify")
                    break;
            }
            while (agreeing < kept && run[agreeing]!.token === output[position + agreeing])
                agreeing++;
            policy.onVerified?.(agreeing, kept);
        }
        big.push(bigPending + kept);
        bigPending = 1;
        if (position + agreeing === output.length)
            break;
        // The little model fed each of its drafts but the last; it keeps the ones before the first rejected.
        littlePending = drafted === 0 ? littlePending + agreeing + 1 : agreeing + 1 - Math.min(drafted - 1, agreeing);
        position += agreeing + 1;
    }
    return {little, big};
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
