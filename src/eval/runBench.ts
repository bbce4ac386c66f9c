import {bigPlacementOf, Decoder} from "../decoding/Decoder.js";
import {NgramMemory} from "../decoding/drafters/NgramMemory.js";
import {DRAFTING_MODES} from "../decoding/modeTable.js";
import type {LoadedModel} from "../engine/LoadedModel.js";
import type {ModelPair} from "../engine/ModelPair.js";
import type {DecodingMode} from "../decoding/DecodingMode.js";
import type {ModelSequence, Token} from "../engine/ModelSequence.js";
import {PeerSpeculativeDecoder} from "../engine/PeerSpeculativeDecoder.js";
import {isDecoderRow, isExternalMode, isNativeRow, type BenchMode, type BenchRecord, type BenchRow, type BenchRowSpec} from "./benchTypes.js";
import {isLosslessNative, type NativeSettings, type NativeTools} from "./nativeTools.js";
import type {CallCostCurve} from "./oracleBound.js";
import {repeatPredicted} from "./lookupAgreement.js";
import {boundRuns} from "./boundRuns.js";
import type {RepetitionPenalty} from "../engine/RepetitionPenalty.js";
import {repetitionPenaltyOf} from "../decoding/sampling/SamplingOptions.js";
import {DECODING_SETTINGS, drafterChain, type DecodingSettings} from "../decoding/settings/decodingSettings.js";
import type {EvalPrompt} from "./promptFile.js";
import {bleu, rougeL} from "./textMetrics.js";
import {errorMessage} from "../errors.js";

/**
 * Sequence slots per model a bench run needs: the decoder's, a scorer's, and the little sequence of
 * the decoder whose big model runs the other flash-attention setting (the peer has contexts of its own).
 */
export const BENCH_SEQUENCES = 3;

const WARM_UP_TOKENS = 16;
const COST_CURVE_TOKENS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64, 128, 256];
const COST_CURVE_REPEATS = 3;

export type BenchInput = {
    readonly pair: ModelPair,
    readonly prompts: readonly EvalPrompt[],
    readonly rows: readonly BenchRowSpec[],
    readonly maxTokens: number,
    /**
     * How many times every phase runs, in turn and in alternating order (llama.cpp's tools, ours;
     * ours, llama.cpp's; llama.cpp's, ours; ...); default 1. This VM's speed drifts by up to ±20 %
     * over minutes, and a single pair of phases puts all of one side's rows in one stretch of it:
     * rounds spread both sides over several, and the alternating order cancels a steady trend over
     * each pair of rounds, which a fixed order would hand to the side that always runs second.
     */
    readonly rounds?: number,
    /** llama.cpp's own tools, for `native-*` rows. */
    readonly native?: NativeTools,
    /** Called after each (row, prompt) run, for a progress bar. */
    readonly onProgress?: () => void
};

export type BenchOutput = {
    readonly rows: BenchRow[],
    readonly records: BenchRecord[],
    readonly costCurves: {readonly little: CallCostCurve, readonly big: CallCostCurve}
};

type RawRun = Pick<BenchRecord, "row" | "promptId" | "round" | "ms" | "tokens" | "text" | "stats" | "drafts"> & {
    /** The tokens are our tokenizer's reading of a native tool's text, not the tokens it generated. */
    retokenized?: boolean
};

/**
 * Runs every row on every prompt, rows interleaved per prompt (in an order rotated from prompt to
 * prompt) so that machine noise hits all rows alike, after one warm-up pass: llama.cpp's tools in a
 * first phase, this process's rows in a second, the pair of phases `rounds` times, reversed in odd
 * rounds (see {@link BenchInput.rounds}). Every run starts from empty caches and pays for its
 * prompt. The `big` row must be among `rows`.
 */
export async function runBench(input: BenchInput): Promise<BenchOutput> {
    const {pair, prompts, rows, maxTokens, native} = input;
    const bigSpec = rows.find((row) => row.mode === "big");
    if (bigSpec == null)
        throw new Error("a bench needs the big row: every speed-up and quality delta is relative to it");
    // Every prompt is tokenized once and shared by the peer, the scorers and the oracle.
    const promptTokens = new Map(prompts.map((prompt) => [prompt.id, pair.tokenizer.encodePrompt(prompt.prompt)]));
    const decoder = Decoder.fromPair(pair);
    const bigScorer = pair.big.createSequence();
    const littleScorer = pair.createLittleSequence();
    const peer = rows.some((row) => row.mode === "peer") ? await PeerSpeculativeDecoder.create(pair.big, pair.little) : undefined;
    // Rows of our big model with the other flash-attention setting run on the same weights in a context of their own.
    let otherAttention: {big: LoadedModel, decoder: Decoder} | undefined;
    const decoderFor = async (spec: Extract<BenchRowSpec, {mode: DecodingMode}>): Promise<Decoder> => {
        const enabled = pair.big.flashAttention.enabled;
        if (spec.flashAttention == null || spec.flashAttention === enabled)
            return decoder;
        if (typeof enabled !== "boolean")
            throw new Error("rows with a flash-attention setting need the CPU's (a GPU's is llama.cpp's choice)");
        if (otherAttention == null) {
            const big = await pair.big.withFlashAttention(spec.flashAttention);
            otherAttention = {big, decoder: new Decoder({
                big: big.createSequence(), little: pair.createLittleSequence(), codec: pair.tokenizer, contextSize: pair.contextSize, bigPlacement: bigPlacementOf(pair)
            })};
        }
        return otherAttention.decoder;
    };
    try {
        const run = async (spec: BenchRowSpec, prompt: EvalPrompt, tokens: number, round: number): Promise<RawRun> => {
            if (spec.mode === "peer") {
                const start = performance.now();
                const generated = await peer!.generate(promptTokens.get(prompt.id)!, tokens, spec.settings);
                const ms = performance.now() - start;
                return {row: spec.name, promptId: prompt.id, round, ms, tokens: generated, text: pair.tokenizer.decode(generated)};
            }
            if (isNativeRow(spec)) {
                if (native == null)
                    throw new Error("native rows need the native tools (BenchInput.native)");
                const generated = await native.generate(spec.settings, prompt.prompt, tokens, spec.settings.decoding);
                // Scored like every row: as tokens of our tokenizer, within the budget. A speculative
                // tool may pass the budget by part of a draft: it is timed for the budget's share.
                const kept = pair.tokenizer.encode(generated.text).slice(0, tokens);
                const {drafted, accepted} = generated;
                return {
                    row: spec.name, promptId: prompt.id, round, ms: generated.ms * Math.min(1, tokens / Math.max(generated.tokens, 1)),
                    tokens: kept, text: pair.tokenizer.decode(kept), retokenized: true, ...(drafted != null && accepted != null ? {drafts: {drafted, accepted}} : {})
                };
            }
            const rowDecoder = await decoderFor(spec);
            await rowDecoder.clearCache();
            // Nothing learnt in another run drafts this one (llama.cpp's tools start each prompt afresh too).
            const result = await rowDecoder.generate(prompt.prompt, {...spec.settings, maxTokens: tokens, ngramMemory: new NgramMemory()});
            return {row: spec.name, promptId: prompt.id, round, ms: result.stats.totalMs, tokens: result.tokens, text: result.text, stats: result.stats};
        };

        // A row of another program (the peer, a native tool) that fails is recorded as failed and
        // not run again; the bench goes on. Our own rows' failures are bugs and end the bench.
        const failures = new Map<string, string>();
        const attempt = async (spec: BenchRowSpec, prompt: EvalPrompt, tokens: number, round: number): Promise<RawRun | undefined> => {
            if (failures.has(spec.name))
                return undefined;
            try {
                return await run(spec, prompt, tokens, round);
            } catch (error) {
                if (!isExternalMode(spec.mode))
                    throw error;
                failures.set(spec.name, `${errorMessage(error)} (prompt ${prompt.id})`);
                return undefined;
            }
        };
        // llama.cpp's tools and this process's rows run in phases, each after its warm-up: a run of
        // ours right after a native process is ~20 % slower for seconds, while native runs do not mind
        // what ran before them (`npm run measure:interference`), so interleaving the two would
        // penalise ours alone.
        const runs: RawRun[] = [];
        const phases = [rows.filter(isNativeRow), rows.filter((row) => !isNativeRow(row))].filter((phase) => phase.length > 0);
        for (let round = 0; round < (input.rounds ?? 1); round++)
            for (const phase of round % 2 === 0 ? phases : [...phases].reverse()) {
                for (const spec of phase)
                    await attempt(spec, prompts[0]!, Math.min(WARM_UP_TOKENS, maxTokens), round);
                for (const [index, prompt] of prompts.entries())
                    for (let k = 0; k < phase.length; k++) {
                        const done = await attempt(phase[(index + k) % phase.length]!, prompt, maxTokens, round);
                        if (done != null)
                            runs.push(done);
                        input.onProgress?.();
                    }
            }
        // A failed row keeps no partial results: its speed would be over other prompts than the rest's.
        const kept = runs.filter((done) => !failures.has(done.row));

        const records = await scoreRuns(kept, prompts, promptTokens, bigSpec.name, bigScorer);
        const position = Math.round(median([...promptTokens.values()].map((tokens) => tokens.length)));
        // Calls are timed as the big row's decode makes them: under its penalty, which the little model drafts under too.
        const penalty = repetitionPenaltyOf(bigSpec.settings as DecodingSettings);
        const costCurves = {
            little: await measureCostCurve(littleScorer, position, pair.contextSize, () => 1, penalty),
            big: await measureCostCurve(bigScorer, position, pair.contextSize, (tokens) => Math.min(tokens, 32), penalty)
        };
        // The lookup bounds follow the n-grams of the lookup rows and of the lookup-first rows.
        const decoderRows = rows.filter(isDecoderRow);
        const ngramsOf = (values: readonly (number | undefined)[]) => [...new Set(values.filter((n): n is number => n != null && n > 0))].sort();
        const oracles = await boundRuns({
            bigRecords: records.filter((record) => record.row === bigSpec.name && record.round === 0), bigSettings: bigSpec.settings as DecodingSettings,
            promptTokens, bigScorer, littleScorer, codec: pair.tokenizer, contextSize: pair.contextSize, bigPlacement: bigPlacementOf(pair), costCurves,
            lookupNgrams: ngramsOf(decoderRows.filter((row) => row.mode === "lookup").map((row) => row.settings.lookupNgram ?? DECODING_SETTINGS.lookupNgram.default)),
            lookupFirstNgrams: ngramsOf(decoderRows.filter((row) => row.mode === "bild" && drafterChain(row.settings).includes("lookup"))
                .map((row) => row.settings.lookupNgram ?? DECODING_SETTINGS.lookupNgram.default)),
            ngramMatches: ngramsOf(decoderRows.filter((row) => row.mode === "ngram").map((row) => row.settings.ngramMinMatch ?? DECODING_SETTINGS.ngramMinMatch.default)),
            ngramFirstMatches: ngramsOf(decoderRows.filter((row) => row.mode === "bild" && drafterChain(row.settings).includes("ngram"))
                .map((row) => row.settings.ngramMinMatch ?? DECODING_SETTINGS.ngramMinMatch.default))
        });
        return {
            rows: aggregateRows(rows, [...records, ...oracles.records], bigSpec.name, failures, oracles.rows),
            records: [...records, ...oracles.records],
            costCurves
        };
    } finally {
        await otherAttention?.decoder[Symbol.asyncDispose]();
        await otherAttention?.big[Symbol.asyncDispose]();
        await peer?.[Symbol.asyncDispose]();
        await littleScorer[Symbol.asyncDispose]();
        await bigScorer[Symbol.asyncDispose]();
        await decoder[Symbol.asyncDispose]();
    }
}

/** Quality of every run: against the reference, against the big row, and as the big model rates it. */
async function scoreRuns(
    runs: readonly RawRun[], prompts: readonly EvalPrompt[], promptTokens: ReadonlyMap<string, Token[]>, bigRow: string,
    bigScorer: ModelSequence
): Promise<BenchRecord[]> {
    const promptsById = new Map(prompts.map((prompt) => [prompt.id, prompt]));
    // Each run is compared with the big row's run of its own round (sampled runs draw alike in every round).
    const roundPrompt = (run: RawRun) => `${run.round}/${run.promptId}`;
    const bigRuns = new Map(runs.filter((run) => run.row === bigRow).map((run) => [roundPrompt(run), run]));
    const records: BenchRecord[] = [];
    for (const {retokenized, ...run} of runs) {
        const prompt = promptsById.get(run.promptId)!;
        const big = bigRuns.get(roundPrompt(run))!;
        // Text can be tokenized more than one way ("\n\n " as one token or two): a native tool's
        // text equal to big's is big's greedy tokens; other text keeps our reading of it.
        if (retokenized === true && run.text === big.text)
            run.tokens = big.tokens;
        let prefixAgreement = 0;
        while (prefixAgreement < big.tokens.length && run.tokens[prefixAgreement] === big.tokens[prefixAgreement])
            prefixAgreement++;
        records.push({
            ...run,
            rougeL: rougeL(run.text, prompt.reference),
            bleu: bleu(run.text, prompt.reference),
            rougeLVsBig: rougeL(run.text, big.text),
            identicalToBig: prefixAgreement === big.tokens.length && run.tokens.length === big.tokens.length,
            prefixAgreement,
            meanNllBig: await meanNll(bigScorer, promptTokens.get(prompt.id)!, run.tokens),
            repeatPredicted: await repeatPredicted(promptTokens.get(prompt.id)!, run.tokens)
        });
    }
    return records;
}

async function meanNll(scorer: ModelSequence, prompt: readonly Token[], tokens: readonly Token[]): Promise<number> {
    if (tokens.length === 0)
        return 0;
    await scorer.truncate(0);
    const facts = await scorer.evaluate([...prompt, ...tokens], tokens.length + 1, tokens);
    let sum = 0;
    for (let i = 0; i < tokens.length; i++)
        sum += facts[i]!.scoredNll;
    return sum / tokens.length;
}

/**
 * Milliseconds of one call by tokens fed, after a prompt-sized prefix; median of a few repeats.
 * Call sizes that would overflow the context are left out (the oracle extrapolates).
 */
async function measureCostCurve(
    sequence: ModelSequence, position: number, contextSize: number, outputs: (tokens: number) => number, penalty?: RepetitionPenalty
): Promise<CallCostCurve> {
    const filler = (length: number) => Array.from({length}, (_, i) => 300 + (i % 200));
    await sequence.truncate(0);
    await sequence.evaluate(filler(position), 1);
    const curve: {tokens: number, ms: number}[] = [];
    for (const tokens of COST_CURVE_TOKENS.filter((size) => position + size <= contextSize)) {
        const samples: number[] = [];
        for (let repeat = 0; repeat < COST_CURVE_REPEATS; repeat++) {
            const start = performance.now();
            await sequence.evaluate(filler(tokens), outputs(tokens), undefined, penalty);
            samples.push(performance.now() - start);
            await sequence.truncate(position);
        }
        curve.push({tokens, ms: median(samples)});
    }
    return curve;
}

function aggregateRows(
    specs: readonly BenchRowSpec[], records: readonly BenchRecord[], bigRow: string, failures: ReadonlyMap<string, string>,
    oracleRows: readonly string[]
): BenchRow[] {
    const summarize = (name: string, mode: BenchRow["mode"], settings: BenchRow["settings"], baseline: string): BenchRow => {
        const mine = records.filter((record) => record.row === name);
        const tokens = sum(mine.map((record) => record.tokens.length));
        const totalMs = sum(mine.map((record) => record.ms));
        const stats = mine.map((record) => record.stats).filter((s) => s != null);
        const bigCalls = sum(stats.map((s) => s.bigCalls));
        const byRound = new Map<number, BenchRecord[]>();
        for (const record of mine) {
            const group = byRound.get(record.round);
            if (group == null)
                byRound.set(record.round, [record]);
            else
                group.push(record);
        }
        const row: BenchRow = {
            name, mode, settings, bound: mode === "oracle", prompts: new Set(mine.map((record) => record.promptId)).size, tokens, totalMs,
            medianMs: median(mine.map((record) => record.ms)),
            tokensPerSecond: tokens / (totalMs / 1000),
            // Records are in the order they ran, so the groups are in round order.
            ...(byRound.size > 1 ? {roundTokensPerSecond: [...byRound.values()].map(roundTokensPerSecond)} : {}),
            speedup: 1,
            baseline,
            rougeL: mean(mine.map((record) => record.rougeL)),
            rougeLDelta: 0,
            bleu: mean(mine.map((record) => record.bleu)),
            rougeLVsBig: mean(mine.map((record) => record.rougeLVsBig)),
            exactMatchPct: 100 * mine.filter((record) => record.identicalToBig).length / mine.length,
            prefixAgreementPct: 0,
            meanNllBig: sum(mine.map((record) => record.meanNllBig * record.tokens.length)) / Math.max(tokens, 1),
            repeatPct: 100 * sum(mine.map((record) => record.repeatPredicted)) / Math.max(tokens, 1),
            ...(failures.has(name) ? {error: failures.get(name)} : {})
        };
        if (isDraftingMode(mode)) {
            row.fallbacks = sum(stats.map((s) => s.fallbacks));
            row.rollbacks = sum(stats.map((s) => s.rollbacks));
            row.discarded = sum(stats.map((s) => s.discarded));
            row.tokensPerBigCall = tokens / Math.max(bigCalls, 1);
            row.draftSharePct = 100 * sum(stats.map((s) => s.draftAccepted)) / Math.max(tokens, 1);
            row.acceptancePct = 100 * sum(stats.map((s) => s.draftAccepted)) / Math.max(sum(stats.map((s) => s.draftProposed)), 1);
        }
        const drafts = mine.map((record) => record.drafts).filter((d) => d != null);
        if (drafts.length > 0)
            row.acceptancePct = 100 * sum(drafts.map((d) => d.accepted)) / Math.max(sum(drafts.map((d) => d.drafted)), 1);
        if (stats.length > 0)
            row.ownTimePct = 100 * sum(stats.map((s) => s.timeOwnMs)) / totalMs;
        return row;
    };
    const rows = [
        ...specs.map((spec) => summarize(spec.name, spec.mode, spec.settings, (spec.mode === "peer" ? undefined : spec.baseline) ?? bigRow)),
        ...oracleRows.map((name) => summarize(name, "oracle", {}, bigRow))
    ];
    const big = rows.find((row) => row.name === bigRow)!;
    const bigTokens = sum(records.filter((record) => record.row === bigRow).map((record) => record.tokens.length));
    for (const row of rows) {
        row.speedup = row.tokensPerSecond / rows.find((other) => other.name === row.baseline)!.tokensPerSecond;
        row.rougeLDelta = row.rougeL - big.rougeL;
        row.prefixAgreementPct = 100 * sum(records.filter((record) => record.row === row.name).map((record) => record.prefixAgreement)) / Math.max(bigTokens, 1);
    }
    markBest(rows, (row) => row.mode === "native-speculative" && isLosslessNative(row.settings as NativeSettings), "native");
    // Ours: lossless rows only: greedy ones that wrote the big model's output every time, sampled ones that verify strictly.
    markBest(rows, (row) => {
        const settings = row.settings as DecodingSettings;
        const greedy = (settings.temperature ?? 0) === 0;
        return isDraftingMode(row.mode) && isLossless(settings) && (!greedy || row.exactMatchPct === 100);
    }, "ours");
    const nativeBig = rows.filter((row) => row.mode === "native-big" && row.error == null)
        .reduce<BenchRow | undefined>((best, row) => best == null || row.tokensPerSecond > best.tokensPerSecond ? row : best, undefined);
    if (nativeBig != null)
        for (const row of rows.filter((row) => row.baseline === bigRow && row.error == null))
            row.speedupOverNativeBig = row.tokensPerSecond / nativeBig.tokensPerSecond;
    return rows;
}

const isDraftingMode = (mode: BenchMode) => (DRAFTING_MODES as readonly BenchMode[]).includes(mode);

/** Lossless by its settings: no lossy rollback threshold (BiLD's α_RB = 0 is lossless under greedy decoding). */
const isLossless = (settings: DecodingSettings) =>
    settings.rollbackThreshold == null || (settings.rollbackThreshold === 0 && (settings.temperature ?? 0) === 0);

/** Sets `best` on the fastest row of those `among` picks, per baseline (greedy and sampled rows apart). */
function markBest(rows: BenchRow[], among: (row: BenchRow) => boolean, label: NonNullable<BenchRow["best"]>): void {
    for (const baseline of new Set(rows.map((row) => row.baseline))) {
        const candidates = rows.filter((row) => row.baseline === baseline && row.error == null && among(row));
        const best = candidates.reduce<BenchRow | undefined>((fastest, row) => fastest == null || row.tokensPerSecond > fastest.tokensPerSecond ? row : fastest, undefined);
        if (best != null)
            best.best = label;
    }
}

function median(values: readonly number[]): number {
    if (values.length === 0)
        return Number.NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const roundTokensPerSecond = (records: readonly BenchRecord[]) =>
    sum(records.map((record) => record.tokens.length)) / (sum(records.map((record) => record.ms)) / 1000);
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const mean = (values: readonly number[]) => values.length === 0 ? Number.NaN : sum(values) / values.length;
