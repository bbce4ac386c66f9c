import type {LogitPairs, Token} from "../engine/ModelSequence.js";

/** Measured cost of one model call by the number of tokens it feeds (sorted by `tokens`). */
export type CallCostCurve = readonly {readonly tokens: number, readonly ms: number}[];

/** Cost of a call feeding `tokens`, by linear interpolation (and extrapolation) of the curve. */
export function callCost(curve: CallCostCurve, tokens: number): number {
    if (curve.length === 0)
        throw new Error("empty cost curve");
    if (curve.length === 1)
        return curve[0]!.ms * tokens / curve[0]!.tokens;
    let upper = curve.findIndex((point) => point.tokens >= tokens);
    if (upper <= 0)
        upper = upper === 0 ? 1 : curve.length - 1;
    const a = curve[upper - 1]!;
    const b = curve[upper]!;
    return a.ms + (b.ms - a.ms) * (tokens - a.tokens) / (b.tokens - a.tokens);
}

/** The calls BiLD would make with a perfect fallback: `little` and `big` list each call's fed tokens. */
export type OracleSchedule = {readonly little: number[], readonly big: number[]};

/** The candidates a big call of the oracle holds beyond the run: see {@link oracleSchedule}. */
export type OracleTree = {
    /** The little model's best candidates per position (1: the run alone). */
    readonly width?: number,
    /** One leaf, the little model's second candidate, where the run stops. */
    readonly leaf?: boolean
};

/**
 * The calls of BiLD if the fallback fired exactly where the little model first disagrees with the
 * big model's greedy output: the little model drafts each agreeing run (one call per token, plus
 * one call for the disagreeing token it then drops); one big call verifies the run and appends its
 * token. A run that reaches the end is closed by one final verification call.
 *
 * With `width` > 1 it is the same for a token tree holding the little model's `width` best
 * candidates per position: a position agrees when big's token is among them, and the big call is
 * charged one more token for each candidate ranked above big's (a tree built in rank order holds
 * them). Generous to trees: the little model pays only for the right branch, wrong branches grow no
 * subtrees, and branching costs no attention masks or cache copies.
 *
 * With `leaf`, the tree node-llama-cpp's sequences can hold: the run plus one leaf where it stops,
 * in a second sequence of the big model's context sharing the cache before it
 * (`copySequenceStateFromOtherSequence`), evaluated in the same batch. Every check that stops short
 * pays the leaf's slot; where the leaf is big's token the check keeps it and big's token after it.
 * Generous: the copies cost nothing, and the leaf sits where the little model is first wrong.
 * @param ranks - per output position, the rank of big's greedy token among the little model's
 * candidates (1: its argmax; `Infinity` when not among those read).
 */
export function oracleSchedule(ranks: readonly number[], promptTokens: number, {width = 1, leaf = false}: OracleTree = {}): OracleSchedule {
    const little: number[] = [];
    const big: number[] = [];
    // Tokens the big model has not seen: the prompt at first, then the last verified token.
    let bigPending = promptTokens;
    let littlePending = promptTokens;
    let position = 0;
    while (position < ranks.length) {
        let run = 0;
        let siblings = 0;
        while (position + run < ranks.length && ranks[position + run]! <= width) {
            siblings += ranks[position + run]! - 1;
            run++;
        }
        const reachesEnd = position + run === ranks.length;
        const proposals = reachesEnd ? run : run + 1;
        for (let i = 0; i < proposals; i++) {
            little.push(littlePending);
            littlePending = 1;
        }
        const leafSlot = leaf && !reachesEnd ? 1 : 0;
        big.push(bigPending + run + siblings + leafSlot);
        bigPending = 1;
        // A leaf that is the last output token gains nothing: the check writes big's token there anyway.
        const leafKept = leafSlot === 1 && ranks[position + run] === 2 && position + run + 1 < ranks.length;
        // After a kept leaf the little model has seen neither it nor big's token after it.
        if (leafKept)
            littlePending = 2;
        position += reachesEnd ? run : run + (leafKept ? 2 : 1);
    }
    return {little, big};
}

/** What one model's calls cost: the curve, and (when measured) its prompt call, which the curve would extrapolate. */
export type CallPricing = {readonly curve: CallCostCurve, readonly prompt?: {readonly tokens: number, readonly ms: number}};

/**
 * Milliseconds of one call feeding `tokens`. A generation's first call that feeds the measured
 * prompt costs the prompt's measured time plus what the rest of its tokens add to a one-token call.
 */
export function callPriceMs({curve, prompt}: CallPricing, tokens: number, first: boolean): number {
    return first && prompt != null && tokens >= prompt.tokens
        ? prompt.ms + callCost(curve, 1 + tokens - prompt.tokens) - callCost(curve, 1)
        : callCost(curve, tokens);
}

/** Total milliseconds of a schedule. */
export function scheduleCostMs(schedule: OracleSchedule, little: CallPricing, big: CallPricing): number {
    const cost = (calls: readonly number[], pricing: CallPricing) => calls.reduce((ms, tokens, index) => ms + callPriceMs(pricing, tokens, index === 0), 0);
    return cost(schedule.little, little) + cost(schedule.big, big);
}

/** 1-based rank of `token` by logit among the candidates read, `Infinity` when not read. */
export function rankAmong(pairs: LogitPairs, token: Token): number {
    let tokenLogit = Number.NaN;
    for (let k = 0; k < pairs.length; k += 2)
        if (pairs[k] === token)
            tokenLogit = pairs[k + 1]!;
    if (Number.isNaN(tokenLogit))
        return Number.POSITIVE_INFINITY;
    let rank = 1;
    for (let k = 1; k < pairs.length; k += 2)
        if (pairs[k]! > tokenLogit)
            rank++;
    return rank;
}

/**
 * The big calls of lookup drafting (no model drafts) if each run proposed exactly the tokens of
 * the lookup's proposal that the big model then keeps: one call per run verifies it and appends
 * big's token. `agreeing(position)` is how many of the proposal made after `position` output
 * tokens match the output from there on.
 */
export function lookupOracleSchedule(outputLength: number, promptTokens: number, agreeing: (position: number) => number): OracleSchedule {
    const big: number[] = [];
    let pending = promptTokens;
    let position = 0;
    while (position < outputLength) {
        const run = Math.min(agreeing(position), outputLength - position);
        const reachesEnd = position + run === outputLength;
        big.push(pending + run);
        pending = 1;
        position += reachesEnd ? run : run + 1;
    }
    return {little: [], big};
}
