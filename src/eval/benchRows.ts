import {BildUsageError} from "../errors.js";
import {PEER_DEFAULT_SETTINGS, type PeerSettings} from "../engine/PeerSpeculativeDecoder.js";
import type {BenchMode, BenchRowSpec} from "./benchTypes.js";
import {DEFAULT_ROLLBACK_THRESHOLD} from "../decoding/policies/NllRollbackPolicy.js";
import {
    describeRange, inRange, kebabCase, takesEffect, SETTING_NAMES, settingSpec, type DecodingSettings, type SettingName, type SettingSpec
} from "../decoding/settings/decodingSettings.js";
import {DECODING_MODES, type DecodingMode} from "../decoding/DecodingMode.js";
import {DRAFTING_MODES} from "../decoding/modeTable.js";
import type {NativeSettings} from "./nativeTools.js";

/** llama.cpp's n-gram drafters (`--spec-type`), each with its default sizes. */
/** llama.cpp's n-gram drafter types (`--spec-type`) that the native rows run. */
export const NGRAM_TYPES: readonly string[] = ["ngram-simple", "ngram-map-k", "ngram-mod", "ngram-cache"];

/** Values to sweep per setting: every combination is one row (a rule's alternatives are not combined). */
export type BenchGrid = Readonly<Partial<Record<SettingName, readonly GridValue[]>>>;
type GridValue = number | boolean | string;

/** The settings `--grid` may sweep: those with a row label in the settings table. */
export const GRID_SETTINGS = SETTING_NAMES.filter((name) => settingSpec(name).short != null);

export const DEFAULT_BENCH_GRID: BenchGrid = {
    runConfidence: [0.02, 0.05, 0.1],
    fallbackThreshold: [0.2, 0.4, 0.6],
    rollbackThreshold: [0, 2, 5],
    draftTokens: [2, 4, 8],
    lookupNgram: [2, 3]
};

/** node-llama-cpp's default and a few settings around it; the bench reports the best. */
export const PEER_GRID: readonly PeerSettings[] = [
    PEER_DEFAULT_SETTINGS,
    {minTokens: 2, maxTokens: 16, minConfidence: 0.6},
    {minTokens: 0, maxTokens: 8, minConfidence: 0.4},
    {minTokens: 2, maxTokens: 8, minConfidence: 0.3},
    {minTokens: 4, maxTokens: 8, minConfidence: 0.2}
];
/**
 * llama.cpp's own programs: the big model alone, and its speculative decoding (the simple
 * draft/verify loop, and `llama-speculative`, which can draft a token tree but does so only with
 * several sequences, slower on the Python pair: docs/benchmarks.md) over a few draft lengths; each
 * with flash attention on and off, which natively matters most for batched checks. Then the simple
 * loop's n-gram drafters (no draft model), alone and beside the draft model (n 3), both ways too:
 * llama.cpp at its best on text that repeats.
 */
export const NATIVE_GRID: readonly NativeSettings[] = [
    {tool: "llama-completion", flashAttention: true},
    {tool: "llama-completion", flashAttention: false},
    ...[3, 8].flatMap((draftMax) => [true, false].map((flashAttention) => ({tool: "llama-speculative-simple" as const, draftMax, flashAttention}))),
    {tool: "llama-speculative", draftMax: 8, flashAttention: true},
    {tool: "llama-speculative", draftMax: 8, flashAttention: false},
    ...NGRAM_TYPES.flatMap((type) => [true, false].flatMap((flashAttention) => [
        {tool: "llama-speculative-simple" as const, specType: type, flashAttention},
        {tool: "llama-speculative-simple" as const, specType: `${type},draft-simple`, draftMax: 3, flashAttention}
    ]))
];

export const ALL_BENCH_MODES: readonly BenchMode[] = [...DECODING_MODES, "peer", "native-big", "native-speculative", "oracle"];

function nativeRow(settings: NativeSettings, suffix: string, baseline: string | undefined): Extract<BenchRowSpec, {settings: NativeSettings}> {
    const fa = `fa=${settings.flashAttention ? "on" : "off"}`;
    const drafter = settings.tool === "llama-speculative" ? "llama-speculative"
        : settings.specType == null ? "simple" : `simple ${settings.specType}`;
    const name = settings.tool === "llama-completion"
        ? `native-big ${fa}`
        : `native-speculative ${drafter}${settings.draftMax == null ? "" : ` n=${settings.draftMax}`} ${fa}`;
    return {name: name + suffix, mode: settings.tool === "llama-completion" ? "native-big" : "native-speculative", settings, ...(baseline == null ? {} : {baseline})};
}

/**
 * `fallback-threshold=0.1,0.2 rollback-threshold=0,1`: each given key replaces the default grid's
 * values, and a rule's alternatives that are not given with it (`run-confidence` beside
 * `fallback-threshold`) are dropped.
 */
export function parseBenchGrid(specs: readonly string[]): BenchGrid {
    const grid: Partial<Record<SettingName, readonly GridValue[]>> = {...DEFAULT_BENCH_GRID};
    const given = new Set<SettingName>();
    const keys = GRID_SETTINGS.map(kebabCase).join(", ");
    for (const spec of specs) {
        const match = /^([a-zA-Z-]+)=(.+)$/.exec(spec.trim());
        const name = GRID_SETTINGS.find((setting) => setting === match?.[1] || kebabCase(setting) === match?.[1]);
        if (match == null || name == null)
            throw new BildUsageError(`bad grid "${spec}": write KEY=V1,V2,… with KEY one of ${keys}`);
        grid[name] = match[2]!.split(",").map((text) => {
            const {kind} = settingSpec(name);
            const value = kind === "boolean" ? {true: true, false: false}[text.trim()] ?? text
                : kind === "choice" ? text.trim()
                    : /^(inf|infinity)$/i.test(text.trim()) ? Number.POSITIVE_INFINITY : Number(text);
            if (text.trim() === "" || !inRange(settingSpec(name), value))
                throw new BildUsageError(`bad grid value "${text}" for ${match[1]}: use ${describeRange(settingSpec(name))}`);
            return value as GridValue;
        });
        given.add(name);
    }
    for (const name of GRID_SETTINGS) {
        const rule = settingSpec(name).rule;
        if (!given.has(name) && rule != null && [...given].some((other) => settingSpec(other).rule === rule))
            delete grid[name];
    }
    return grid;
}

export function parseModes(modes: readonly string[]): BenchMode[] {
    for (const mode of modes)
        if (!ALL_BENCH_MODES.includes(mode as BenchMode))
            throw new BildUsageError(`unknown bench mode "${mode}": use some of ${ALL_BENCH_MODES.join(", ")}`);
    return ALL_BENCH_MODES.filter((mode) => mode === "big" || modes.includes(mode));
}

const formatNumber = (value: GridValue) => value === Number.POSITIVE_INFINITY ? "inf" : String(value);

/** Seed of every sampled bench row, so that a bench run replays. */
export const BENCH_SEED = 1;

/**
 * Every combination of the grid's values for the settings that take effect in `mode`, with its row
 * label. The alternatives of one rule (`runConfidence` or `fallbackThreshold`) are not combined: each
 * value of each is one choice. A setting swept over its default alone is left out of the label,
 * unless it is a rule (which the label must name) or the mode's only setting.
 */
export function gridCombinations(grid: BenchGrid, mode: DecodingMode): {label: string, settings: DecodingSettings}[] {
    const names = GRID_SETTINGS.filter((name) => grid[name] != null && settingSpec(name).modes.includes(mode));
    const factors: {name: SettingName, value: GridValue}[][] = [];
    const rules = new Map<string, {name: SettingName, value: GridValue}[]>();
    for (const name of names) {
        const choices = grid[name]!.map((value) => ({name, value}));
        const rule = settingSpec(name).rule;
        if (rule == null)
            factors.push(choices);
        else if (rules.has(rule))
            rules.get(rule)!.push(...choices);
        else {
            rules.set(rule, choices);
            factors.push(choices);
        }
    }
    let combinations: {name: SettingName, value: GridValue}[][] = [[]];
    for (const factor of factors)
        combinations = combinations.flatMap((combination) => factor.map((choice) => [...combination, choice]));
    const labelled = (name: SettingName, settingCount: number) =>
        settingCount === 1 || settingSpec(name).rule != null || grid[name]!.length > 1 || grid[name]![0] !== settingSpec(name).default;
    // A drafter's sizes only where the combination's chain has that drafter: the rest would repeat rows.
    const rows = new Map<string, DecodingSettings>();
    for (const combination of combinations) {
        const all: DecodingSettings = Object.fromEntries(combination.map(({name, value}) => [name, value]));
        const effective = combination.filter(({name}) => takesEffect(name, all, mode));
        const label = effective.filter(({name}) => labelled(name, effective.length)).map(({name, value}) => `${settingSpec(name).short}=${formatNumber(value)}`).join(" ");
        rows.set(label, Object.fromEntries(effective.map(({name, value}) => [name, value])));
    }
    return [...rows].map(([label, settings]) => ({label, settings}));
}

/**
 * The rows of a bench run for `modes` (the big row always comes first). With `sampling` at a
 * temperature above 0, each mode also gets rows that sample: big, speculative and lookup (always
 * strict), and per BiLD drafting rule, strict BiLD and lossy BiLD at the paper's α_RB; their
 * speed-ups are over the big model sampling alike, and llama.cpp's rows then sample alike too.
 * `penalty` (the repetition penalties) applies to every row; node-llama-cpp's speculative decoding
 * (the peer) has no such setting of llama.cpp's semantics and is left out under one.
 */
export function benchRowSpecs(modes: readonly BenchMode[], grid: BenchGrid, sampling: DecodingSettings = {}, penalty: DecodingSettings = {}): BenchRowSpec[] {
    const rows: BenchRowSpec[] = [{name: "big", mode: "big", settings: {...penalty, mode: "big"}}, ...bigAttentionRows("big", {...penalty, mode: "big"})];
    if (modes.includes("little"))
        rows.push({name: "little", mode: "little", settings: {...penalty, mode: "little"}});
    for (const mode of DRAFTING_MODES)
        if (modes.includes(mode))
            for (const {label, settings} of gridCombinations(grid, mode))
                rows.push({name: `${mode} ${label}`, mode, settings: {...penalty, mode, ...settings}});
    const sampled = sampling.temperature != null && sampling.temperature > 0;
    if (sampled)
        rows.push(...sampledRowSpecs(modes, grid, sampling, penalty));
    if (modes.includes("peer") && Object.keys(penalty).length === 0)
        for (const settings of PEER_GRID)
            rows.push({
                name: `peer min=${settings.minTokens} max=${settings.maxTokens} conf=${settings.minConfidence}` + (settings === PEER_DEFAULT_SETTINGS ? " (default)" : ""),
                mode: "peer",
                settings
            });
    const decoding = {...penalty, ...(sampled ? {...sampling, seed: sampling.seed ?? BENCH_SEED} : {})};
    const suffix = sampled ? sampledSuffix(sampling) : "";
    rows.push(...NATIVE_GRID.map((settings) => nativeRow({...settings, decoding}, suffix, sampled ? `big${suffix}` : undefined))
        .filter((row) => modes.includes(row.mode)));
    return rows;
}

/** Our big model alone with flash attention on and off, beside the big row (which runs the pair's choice). */
const bigAttentionRows = (name: string, settings: DecodingSettings, baseline?: string): BenchRowSpec[] => [true, false].map((flashAttention) =>
    ({name: `${name} fa=${flashAttention ? "on" : "off"}`, mode: "big", settings, flashAttention, ...(baseline == null ? {} : {baseline})}));

const sampledSuffix = (sampling: DecodingSettings) =>
    ` T=${sampling.temperature}` + (sampling.topP == null ? "" : ` p=${sampling.topP}`) + (sampling.topK == null ? "" : ` k=${sampling.topK}`);

/** The part of `grid` that sweeps one rule's alternatives. */
const gridOfRule = (grid: BenchGrid, rule: SettingSpec["rule"]): BenchGrid =>
    Object.fromEntries(GRID_SETTINGS.filter((name) => settingSpec(name).rule === rule && grid[name] != null).map((name) => [name, grid[name]]));

function sampledRowSpecs(modes: readonly BenchMode[], grid: BenchGrid, sampling: DecodingSettings, penalty: DecodingSettings): BenchRowSpec[] {
    const suffix = sampledSuffix(sampling);
    const baseline = `big${suffix}`;
    const sampled = {...penalty, ...sampling, seed: sampling.seed ?? BENCH_SEED};
    const row = (name: string, mode: DecodingMode, settings: DecodingSettings): BenchRowSpec =>
        ({name: `${name}${suffix}`, mode, settings: {...settings, ...sampled, mode}, baseline});
    const rows = [row("big", "big", {})];
    rows.push(...bigAttentionRows(`big${suffix}`, rows[0]!.settings as DecodingSettings, baseline));
    for (const mode of DRAFTING_MODES.filter((mode) => mode !== "bild"))
        if (modes.includes(mode))
            for (const {label, settings} of gridCombinations(grid, mode))
                rows.push(row(`${mode} ${label}`, mode, settings));
    if (modes.includes("bild"))
        // Each drafting rule, with and without lookup first where the grid sweeps it; verification is fixed per row below.
        for (const {label, settings} of gridCombinations({...gridOfRule(grid, "drafting"), ...(grid.drafters == null ? {} : {drafters: grid.drafters})}, "bild")) {
            rows.push(row(`bild strict ${label}`, "bild", {...settings, strict: true}));
            rows.push(row(`bild ${label} rb=${DEFAULT_ROLLBACK_THRESHOLD}`, "bild", {...settings, rollbackThreshold: DEFAULT_ROLLBACK_THRESHOLD}));
        }
    return rows;
}
