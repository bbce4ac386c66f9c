import {Decoder} from "../decoding/Decoder.js";
import type {GenerateOptions} from "../decoding/GenerateOptions.js";
import {repetitionPenaltyOf} from "../decoding/sampling/SamplingOptions.js";
import {DECODING_SETTINGS, type BigModelPlacement, type DecodingSettings} from "../decoding/settings/decodingSettings.js";
import type {ModelSequence, Token} from "../engine/ModelSequence.js";
import type {TextCodec} from "../engine/Tokenizer.js";
import type {RepetitionPenalty} from "../engine/RepetitionPenalty.js";
import type {BenchRecord} from "./benchTypes.js";
import {agreeingRuns, littleDraftRuns, lookupFirstOracleSchedule, type DraftRun} from "./draftReplay.js";
import {recordedBig, recordedLittle, ReplayedSequence} from "./ReplayedSequence.js";
import {draftAgreement, lookupAgreement, type LookupReplay} from "./lookupAgreement.js";
import {NgramDrafter} from "../decoding/drafters/NgramDrafter.js";
import {NgramMemory} from "../decoding/drafters/NgramMemory.js";
import {lookupOracleSchedule, oracleSchedule, rankAmong, scheduleCostMs, type CallCostCurve, type CallPricing, type OracleSchedule} from "./oracleBound.js";

/** Candidates per position of the tree bound: as many as `llama-speculative -np 2` splits into. */
export const TREE_ORACLE_WIDTH = 2;
export const ORACLE_ROW = "oracle (bound)";
export const TREE_ORACLE_ROW = `oracle, top-${TREE_ORACLE_WIDTH} tree (bound)`;
export const LEAF_TREE_ORACLE_ROW = "oracle, run + one leaf (bound)";
export const DEFAULTS_REPLAY_ROW = "replay, bild defaults";
export const ADAPTIVE_REPLAY_ROW = "replay, bild defaults with an adaptive run length";

/**
 * The drafting rules the hindsight replay tries: every rule family bild ships, over its useful
 * range. BiLD's run confidence (the default rule), fixed or adaptive, the paper's per-token
 * threshold, and k drafts (speculative decoding), each with a run length limit.
 */
type ReplayRule = {readonly label: string, readonly settings: () => GenerateOptions};
const REPLAY_RULES: readonly ReplayRule[] = [
    ...[0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3].flatMap((run) => [4, 6, 8, 10, 12, 16].map((length) =>
        ({label: `run=${run} n=${length}`, settings: () => ({runConfidence: run, maxLittleTokens: length})}))),
    ...[0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].flatMap((threshold) => [4, 8, 10, 16].map((length) =>
        ({label: `fb=${threshold} n=${length}`, settings: () => ({fallbackThreshold: threshold, maxLittleTokens: length})}))),
    ...[1, 2, 3, 4, 5, 6, 8].map((k) => ({label: `k=${k}`, settings: () => ({fallbackThreshold: 0, maxLittleTokens: k})})),
    ...[0.01, 0.02, 0.05, 0.1].flatMap((run) => [8, 10, 16].map((length) =>
        ({label: `run=${run} adaptive n≤${length}`, settings: () => ({runConfidence: run, maxLittleTokens: length, adaptiveRunLength: true})})))
];
/** The default chain (the n-gram memory first) under BiLD's run confidence rule, with the n-gram drafter's sizes. */
const NGRAM_FIRST_RULES: readonly ReplayRule[] = [0.02, 0.05, 0.1, 0.2].flatMap((run) => [6, 10, 16].flatMap((length) =>
    [2, 4, 8].flatMap((minMatch) => [16, 32, 64].map((maxDraft) => ({
        label: `run=${run} n=${length} nm=${minMatch} nx=${maxDraft}`,
        settings: (): GenerateOptions => ({drafters: "ngram+little", runConfidence: run, maxLittleTokens: length, ngramMinMatch: minMatch, ngramMaxDraft: maxDraft})
    })))));
/** The longest run of any rule (the defaults' over rpc-servers included): what the little model's recorded runs hold. */
const REPLAY_MAX_DRAFT = Math.max(16, DECODING_SETTINGS.maxLittleTokens.rpcDefault);
const PROMPT_COST_REPEATS = 3;

export type BoundInput = {
    /** The greedy big row's records: the output every lossless rule writes. */
    readonly bigRecords: readonly BenchRecord[],
    readonly bigSettings: DecodingSettings,
    readonly promptTokens: ReadonlyMap<string, Token[]>,
    readonly bigScorer: ModelSequence,
    readonly littleScorer: ModelSequence,
    /** The pair's tokenizer and context: the replays run the decoder. */
    readonly codec: TextCodec,
    readonly contextSize: number,
    /** Where the bench's big model ran: the replays take its defaults, as its rows did. */
    readonly bigPlacement: BigModelPlacement,
    readonly costCurves: {readonly little: CallCostCurve, readonly big: CallCostCurve},
    /** n-gram lengths of the lookup rows (lookup alone) and of the `lookup+little` rows (lookup first, then the little model). */
    readonly lookupNgrams: readonly number[],
    readonly lookupFirstNgrams: readonly number[],
    /** Shortest contexts (`ngramMinMatch`) of the ngram rows (alone) and of the `ngram+little` rows: each gets a bound, at the drafter's longest runs (64). */
    readonly ngramMatches: readonly number[],
    readonly ngramFirstMatches: readonly number[]
};

/**
 * The rows the bench computes rather than runs, per prompt, each priced by the measured cost curves
 * and each prompt's measured prompt calls; their output is the big model's, so their quality is
 * big's. Bounds: BiLD's oracle (the little model drafting exactly the tokens big keeps), a token
 * tree's, lookup's per n-gram, and lookup first's (the cheapest mix of both drafters, perfectly
 * drafted). Replays: the decoder itself, run over the models' recorded reads ({@link ReplayedSequence}:
 * the big model's output, the little model's actual runs from every position): bild's defaults
 * (the check that a replay prices what a run measures), with an adaptive run length, and the
 * fastest of {@link REPLAY_RULES} over all prompts, chosen in hindsight (how close any shipped
 * rule, at any setting, gets to the oracle), with lookup first too. The little model reads under
 * the big row's repetition penalty, as it drafts under it.
 */
export async function boundRuns(input: BoundInput): Promise<{rows: string[], records: BenchRecord[]}> {
    const {bigRecords, promptTokens, littleScorer, bigScorer, costCurves} = input;
    const penalty = repetitionPenaltyOf(input.bigSettings);
    const records: BenchRecord[] = [];
    const rows: string[] = [];
    const add = (row: string, big: BenchRecord, ms: number) => {
        if (!rows.includes(row))
            rows.push(row);
        records.push({...big, row, ms, stats: undefined});
    };
    // Each model-free drafter is read once per prompt and setting, for the bounds and every replay alike.
    const replays = new Map<string, LookupReplay[]>();
    const replayOf = async (key: string, read: () => Promise<LookupReplay[]>) => {
        if (!replays.has(key))
            replays.set(key, await read());
        return replays.get(key)!;
    };
    const lookupOf = (big: BenchRecord, prompt: readonly Token[], ngram: number, maxDraft: number) =>
        replayOf(`${big.promptId} lookup ${ngram} ${maxDraft}`, () => lookupAgreement(prompt, big.tokens, ngram, maxDraft));
    // The n-gram drafter starts each bench run with an empty memory, as here; read at its longest runs.
    const ngramOf = (big: BenchRecord, prompt: readonly Token[], minMatch: number) =>
        replayOf(`${big.promptId} ngram ${minMatch}`, () =>
            draftAgreement(prompt, big.tokens, new NgramDrafter(new NgramMemory(), {minMatch, maxDraft: DECODING_SETTINGS.ngramMaxDraft.max})));
    const maxLookup = DECODING_SETTINGS.draftTokens.max;
    const prompts: {big: BenchRecord, prompt: Token[], pricing: {little: CallPricing, big: CallPricing}, runs: DraftRun[]}[] = [];
    for (const big of bigRecords) {
        const prompt = promptTokens.get(big.promptId)!;
        const pricing = (sequence: ModelSequence, curve: CallCostCurve) => promptCostMs(sequence, prompt, penalty).then((ms): CallPricing => ({curve, prompt: {tokens: prompt.length, ms}}));
        const littlePricing = await pricing(littleScorer, costCurves.little);
        const bigPricing = await pricing(bigScorer, costCurves.big);
        const cost = (schedule: OracleSchedule) => scheduleCostMs(schedule, littlePricing, bigPricing);

        await littleScorer.truncate(0);
        // One pass reads the little model's best candidates along big's path: rank 1 is its argmax.
        const candidates = await littleScorer.evaluateLogits([...prompt, ...big.tokens], big.tokens.length + 1, TREE_ORACLE_WIDTH, penalty);
        const ranks = big.tokens.map((token, i) => rankAmong(candidates[i]!, token));
        add(ORACLE_ROW, big, cost(oracleSchedule(ranks, prompt.length)));
        add(TREE_ORACLE_ROW, big, cost(oracleSchedule(ranks, prompt.length, {width: TREE_ORACLE_WIDTH})));
        add(LEAF_TREE_ORACLE_ROW, big, cost(oracleSchedule(ranks, prompt.length, {leaf: true})));
        for (const ngram of input.lookupNgrams) {
            const agreeing = await lookupOf(big, prompt, ngram, maxLookup);
            add(`oracle, lookup ng=${ngram} (bound)`, big, cost(lookupOracleSchedule(big.tokens.length, prompt.length, (position) => agreeing[position]!.agreeing)));
        }
        for (const ngram of input.lookupFirstNgrams) {
            const lookup = await lookupOf(big, prompt, ngram, maxLookup);
            add(`oracle, lookup first lk=${ngram} (bound)`, big, cost(lookupFirstOracleSchedule(agreeingRuns(ranks), lookup, prompt.length, littlePricing, bigPricing)));
        }
        for (const minMatch of input.ngramMatches) {
            const agreeing = await ngramOf(big, prompt, minMatch);
            add(`oracle, ngram nm=${minMatch} (bound)`, big, cost(lookupOracleSchedule(big.tokens.length, prompt.length, (position) => agreeing[position]!.agreeing)));
        }
        for (const minMatch of input.ngramFirstMatches)
            add(`oracle, ngram first nm=${minMatch} (bound)`, big,
                cost(lookupFirstOracleSchedule(agreeingRuns(ranks), await ngramOf(big, prompt, minMatch), prompt.length, littlePricing, bigPricing)));
        prompts.push({big, prompt, pricing: {little: littlePricing, big: bigPricing}, runs: await littleDraftRuns(littleScorer, prompt, big.tokens, REPLAY_MAX_DRAFT, penalty)});
    }

    /** Priced ms per prompt of a lossless bild generation with `settings` (over the big row's), run by the decoder on recorded reads. */
    const replay = async (label: string, settings: GenerateOptions) => {
        const ms: number[] = [];
        for (const {big, prompt, pricing, runs} of prompts) {
            const vocabularySize = bigScorer.vocabularySize;
            const bigSequence = new ReplayedSequence(recordedBig(prompt, big.tokens), pricing.big, vocabularySize);
            const littleSequence = new ReplayedSequence(recordedLittle(prompt, big.tokens, runs), pricing.little, vocabularySize);
            // Each prompt starts with an empty n-gram memory, as each bench run does.
            const decoder = new Decoder({big: bigSequence, little: littleSequence, codec: input.codec, contextSize: input.contextSize, bigPlacement: input.bigPlacement, ngramMemory: new NgramMemory()});
            const result = await decoder.generate(prompt, {...input.bigSettings, ...settings, mode: "bild", maxTokens: big.tokens.length});
            if (result.tokens.length !== big.tokens.length || result.tokens.some((token, i) => token !== big.tokens[i]))
                throw new Error(`the replay of ${label} did not write the big model's output on prompt ${big.promptId}: a bug in the replay`);
            ms.push(bigSequence.ms + littleSequence.ms);
        }
        return ms;
    };
    const defaultMs = await replay(DEFAULTS_REPLAY_ROW, {});
    bigRecords.forEach((big, i) => add(DEFAULTS_REPLAY_ROW, big, defaultMs[i]!));
    const adaptiveMs = await replay(ADAPTIVE_REPLAY_ROW, {adaptiveRunLength: true});
    bigRecords.forEach((big, i) => add(ADAPTIVE_REPLAY_ROW, big, adaptiveMs[i]!));
    const searches: {label: string, rules: readonly ReplayRule[]}[] = [
        {label: "", rules: REPLAY_RULES.map((rule) => withChain(rule, {drafters: "little"}))},
        ...input.lookupFirstNgrams.map((lookupNgram) => ({label: ` lk=${lookupNgram}`, rules: REPLAY_RULES.map((rule) => withChain(rule, {drafters: "lookup+little", lookupNgram}))})),
        {label: " dr=ngram+little", rules: NGRAM_FIRST_RULES}
    ];
    for (const {label, rules} of searches) {
        let best: {label: string, ms: number[]} | undefined;
        for (const rule of rules) {
            const ms = await replay(rule.label, rule.settings());
            if (best == null || sum(ms) < sum(best.ms))
                best = {label: rule.label, ms};
        }
        bigRecords.forEach((big, i) => add(`replay, best in hindsight${label}: ${best!.label}`, big, best!.ms[i]!));
    }
    return {rows, records};
}

/** Median ms of the prompt's call from an empty cache: what a run pays first (the cost curve would extrapolate it). */
async function promptCostMs(sequence: ModelSequence, prompt: readonly Token[], penalty: RepetitionPenalty | undefined): Promise<number> {
    const samples: number[] = [];
    for (let repeat = 0; repeat < PROMPT_COST_REPEATS; repeat++) {
        await sequence.truncate(0);
        const start = performance.now();
        await sequence.evaluate(prompt, 1, undefined, penalty);
        samples.push(performance.now() - start);
    }
    return samples.sort((a, b) => a - b)[samples.length >> 1]!;
}

const withChain = (rule: ReplayRule, chain: GenerateOptions): ReplayRule => ({...rule, settings: () => ({...chain, ...rule.settings()})});

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
