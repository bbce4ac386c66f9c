import {BildUsageError} from "../errors.js";
import {PEER_DEFAULT_SETTINGS, type PeerSettings} from "../engine/PeerSpeculativeDecoder.js";
import type {BenchMode, BenchRowSpec} from "./benchTypes.js";
import type {GenerateOptions} from "../decoding/GenerateOptions.js";
import {DEFAULT_ROLLBACK_THRESHOLD} from "../decoding/policies/NllRollbackPolicy.js";
import type {SamplingOptions} from "../decoding/sampling/SamplingOptions.js";

/** A BiLD grid: every combination of these values is one row. */
export type BildGrid = {
    readonly fallback: readonly number[],
    /** `runConfidence` values: rows with DraftConfidencePolicy instead of the paper's fallback rule. */
    readonly run: readonly number[],
    readonly rollback: readonly number[],
    readonly maxLittle: readonly number[]
};

export const DEFAULT_BILD_GRID: BildGrid = {fallback: [0.1, 0.2, 0.4, 0.6], run: [], rollback: [0, 1, 2, 3, 5], maxLittle: [10]};
export const DEFAULT_DRAFT_LENGTHS: readonly number[] = [2, 4, 8];
/** node-llama-cpp's default and a few settings around it; the bench reports the best. */
export const PEER_GRID: readonly PeerSettings[] = [
    PEER_DEFAULT_SETTINGS,
    {minTokens: 2, maxTokens: 16, minConfidence: 0.6},
    {minTokens: 0, maxTokens: 8, minConfidence: 0.4},
    {minTokens: 2, maxTokens: 8, minConfidence: 0.3},
    {minTokens: 4, maxTokens: 8, minConfidence: 0.2}
];
export const ALL_BENCH_MODES: readonly BenchMode[] = ["big", "little", "speculative", "bild", "peer", "oracle"];

const GRID_KEYS: Record<string, keyof BildGrid> = {
    "fallback": "fallback", "run": "run", "rollback": "rollback", "max-little": "maxLittle", "maxLittle": "maxLittle"
};

/** Parses `fallback=0.1,0.2 rollback=0,1` (each key optional; missing keys keep the default). */
export function parseBildGrid(specs: readonly string[]): BildGrid {
    const grid: Record<keyof BildGrid, readonly number[]> = {...DEFAULT_BILD_GRID};
    for (const spec of specs) {
        const match = /^([a-zA-Z-]+)=(.+)$/.exec(spec.trim());
        const key = match == null ? undefined : GRID_KEYS[match[1]!];
        if (match == null || key == null)
            throw new BildUsageError(`bad grid "${spec}": write KEY=V1,V2,… with KEY one of fallback, run, rollback, max-little`);
        grid[key] = match[2]!.split(",").map((text) => {
            const value = /^(inf|infinity)$/i.test(text.trim()) ? Number.POSITIVE_INFINITY : Number(text);
            if (text.trim() === "" || Number.isNaN(value) || value < 0)
                throw new BildUsageError(`bad grid value "${text}" for ${match[1]}: use non-negative numbers (or inf)`);
            return value;
        });
    }
    return grid;
}

export function parseModes(modes: readonly string[]): BenchMode[] {
    for (const mode of modes)
        if (!ALL_BENCH_MODES.includes(mode as BenchMode))
            throw new BildUsageError(`unknown bench mode "${mode}": use some of ${ALL_BENCH_MODES.join(", ")}`);
    return ALL_BENCH_MODES.filter((mode) => mode === "big" || modes.includes(mode));
}

const formatNumber = (value: number) => value === Number.POSITIVE_INFINITY ? "inf" : String(value);

/** Seed of every sampled bench row, so that a bench run replays. */
export const BENCH_SEED = 1;

/**
 * The rows of a bench run for `modes` (the big row always comes first). With `sampling` at a
 * temperature above 0, each mode also gets rows that sample: big, speculative (always strict), and
 * per BiLD drafting rule, strict BiLD and lossy BiLD at the default α_RB; their speed-ups are over
 * the big model sampling alike.
 */
export function benchRowSpecs(
    modes: readonly BenchMode[], grid: BildGrid, draftLengths: readonly number[], sampling?: SamplingOptions
): BenchRowSpec[] {
    const rows: BenchRowSpec[] = [{name: "big", mode: "big", settings: {}, options: {mode: "big"}}];
    if (modes.includes("little"))
        rows.push({name: "little", mode: "little", settings: {}, options: {mode: "little"}});
    if (modes.includes("speculative"))
        for (const draftTokens of draftLengths)
            rows.push({name: `speculative k=${draftTokens}`, mode: "speculative", settings: {draft: draftTokens}, options: {mode: "speculative", draftTokens}});
    const rules = [
        ...grid.fallback.map((fallback) => ({label: `fb=${formatNumber(fallback)}`, settings: {fallback}, options: {fallbackThreshold: fallback}})),
        ...grid.run.map((run) => ({label: `run=${formatNumber(run)}`, settings: {run}, options: {runConfidence: run}}))
    ];
    if (modes.includes("bild")) {
        for (const rule of rules)
            for (const rollback of grid.rollback)
                for (const maxLittle of grid.maxLittle)
                    rows.push({
                        name: `bild ${rule.label} rb=${formatNumber(rollback)}` + (grid.maxLittle.length > 1 ? ` n=${formatNumber(maxLittle)}` : ""),
                        mode: "bild",
                        settings: {...rule.settings, rollback, maxLittle},
                        options: {mode: "bild", ...rule.options, rollbackThreshold: rollback, maxLittleTokens: maxLittle}
                    });
    }
    if (sampling?.temperature != null && sampling.temperature > 0)
        rows.push(...sampledRowSpecs(modes, rules, draftLengths, sampling));
    if (modes.includes("peer"))
        for (const settings of PEER_GRID)
            rows.push({
                name: `peer min=${settings.minTokens} max=${settings.maxTokens} conf=${settings.minConfidence}` + (settings === PEER_DEFAULT_SETTINGS ? " (default)" : ""),
                mode: "peer",
                settings
            });
    return rows;
}

function sampledRowSpecs(
    modes: readonly BenchMode[], rules: readonly {label: string, settings: Record<string, number>, options: GenerateOptions}[],
    draftLengths: readonly number[], sampling: SamplingOptions
): BenchRowSpec[] {
    const suffix = ` T=${sampling.temperature}` + (sampling.topP == null ? "" : ` p=${sampling.topP}`) + (sampling.topK == null ? "" : ` k=${sampling.topK}`);
    const baseline = `big${suffix}`;
    const sampled = {...sampling, seed: sampling.seed ?? BENCH_SEED};
    const settings = {temperature: sampling.temperature!};
    const row = (name: string, mode: "big" | "little" | "speculative" | "bild", extra: Record<string, number>, options: GenerateOptions): BenchRowSpec =>
        ({name: `${name}${suffix}`, mode, settings: {...settings, ...extra}, options: {...options, ...sampled, mode}, baseline});
    const rows = [row("big", "big", {}, {})];
    if (modes.includes("speculative"))
        for (const draftTokens of draftLengths)
            rows.push(row(`speculative k=${draftTokens}`, "speculative", {draft: draftTokens}, {draftTokens}));
    if (modes.includes("bild"))
        for (const rule of rules) {
            rows.push(row(`bild strict ${rule.label}`, "bild", rule.settings, {...rule.options, strict: true}));
            rows.push(row(`bild ${rule.label} rb=${DEFAULT_ROLLBACK_THRESHOLD}`, "bild", {...rule.settings, rollback: DEFAULT_ROLLBACK_THRESHOLD},
                {...rule.options, rollbackThreshold: DEFAULT_ROLLBACK_THRESHOLD}));
        }
    return rows;
}
