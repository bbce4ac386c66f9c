import {BildUsageError} from "../../errors.js";
import {DECODING_MODES, type DecodingMode} from "../DecodingMode.js";
import type {DrafterName} from "../GenerationResult.js";

/** Longest stop string, in characters: each is searched for in the output as tokens arrive. */
export const MAX_STOP_LENGTH = 1000;

/** Largest seed accepted: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * How one decoding setting is declared. Every entry point derives its view from these: the CLI
 * flag (`--` + the name in kebab case), the server's request field (the name in the `bild` object,
 * or in snake case among OpenAI's own fields), the bench's grid key and row label, the range check
 * and its message, and the default.
 */
export type SettingSpec = {
    readonly kind: "number" | "integer" | "boolean" | "choice" | "texts",
    /** One line for `--help` and the docs. */
    readonly doc: string,
    /** The CLI's placeholder for the value (`--top-p <p>`). */
    readonly metavar?: string,
    readonly min?: number,
    readonly max?: number,
    /** `min` itself is out of range. */
    readonly exclusiveMin?: boolean,
    /** `Infinity` is accepted (`inf` on the command line). */
    readonly infinity?: boolean,
    readonly choices?: readonly string[],
    /** Applied when the setting is absent; absent settings without one are decided by others (see `defaultNote`). */
    readonly default?: number | string | boolean,
    /**
     * Applied in place of `default` when the big model's layers are on rpc-servers, where each big
     * call pays network round trips a local one does not (docs/rpc.md).
     */
    readonly rpcDefault?: number,
    /** Says what absence means where there is no plain default. */
    readonly defaultNote?: string,
    /** The modes where the setting takes effect; giving it for another mode is an error. */
    readonly modes: readonly DecodingMode[],
    /** The drafter it sizes: it takes effect only where the mode's drafter chain has that drafter. */
    readonly drafter?: DrafterName,
    /** Settings of one rule are alternatives: at most one of them may be given. */
    readonly rule?: "drafting" | "verification",
    /** Shapes sampling: at temperature 0 (greedy) a value other than the default would be ignored, so it is an error. */
    readonly sampling?: true,
    /** Where a server request sets it: among OpenAI's own body fields, or in the extra `bild` object. */
    readonly server: "body" | "bild",
    /** JSON schema of the request field where the kind's own is not enough. */
    readonly jsonSchema?: object,
    /** Label in bench row names (`fb=0.2`); a setting with one can be swept by `bench --grid`. */
    readonly short?: string
};

const BILD: readonly DecodingMode[] = ["bild"];

/**
 * Every decoding setting of `bild`, once. The library takes them by these names (see
 * {@link DecodingSettings}); the CLI as `--kebab-case` flags; a server request in its `bild` object
 * by these names, or, for OpenAI's own fields, in snake case (`top_p`).
 */
export const DECODING_SETTINGS = {
    /** Decoding strategy: BiLD, classic speculative decoding, or one model alone. Defaults to `"bild"`. */
    mode: {
        kind: "choice", choices: DECODING_MODES, default: "bild", metavar: "mode", modes: DECODING_MODES, server: "bild",
        doc: "decoding strategy"
    },
    /** Most tokens to generate. Defaults to 128. */
    maxTokens: {
        kind: "integer", min: 1, default: 128, metavar: "n", modes: DECODING_MODES, server: "body",
        doc: "most tokens to generate"
    },
    /**
     * Most seconds a generation may take: then its unverified drafts are checked and it ends with
     * finish reason `"time"`, holding what was final. Checked between model calls. Defaults to none.
     */
    timeLimit: {
        kind: "number", min: 0, exclusiveMin: true, infinity: true, metavar: "s", modes: DECODING_MODES, server: "bild",
        defaultNote: "none", doc: "most seconds a generation may take; it then ends with finish reason \"time\""
    },
    /**
     * Prompt text naming a special token (`<|endoftext|>`, `<|im_start|>`) is read as that token, as
     * llama.cpp's tools and server read it; `false` reads all of it as plain text. Defaults to true.
     */
    specialTokens: {
        kind: "boolean", default: true, modes: DECODING_MODES, server: "bild",
        doc: "read special tokens written in the prompt text (<|endoftext|>) as those tokens"
    },
    /** Generation ends at the first of these strings, which is not part of the text. Defaults to none. */
    stop: {
        kind: "texts", metavar: "text...", modes: DECODING_MODES, server: "body",
        jsonSchema: {anyOf: [
            {type: "string", minLength: 1, maxLength: MAX_STOP_LENGTH},
            {type: "array", items: {type: "string", minLength: 1, maxLength: MAX_STOP_LENGTH}, maxItems: 4}
        ]},
        doc: "stop at this string (not part of the output)"
    },
    /**
     * BiLD's drafting rule (`DraftConfidencePolicy`): draft while the product of the run's
     * little-model top probabilities stays at or above this, and send the token that crosses it to
     * the big model instead of dropping it. Defaults to 0.05 unless `fallbackThreshold` is given:
     * the fastest lossless rule measured on the bundled pair (docs/defaults.md); 0.02 where the big
     * model is on rpc-servers, whose calls cost round trips, so longer runs pay (docs/rpc.md).
     */
    runConfidence: {
        kind: "number", min: 0, max: 1, default: 0.05, rpcDefault: 0.02, metavar: "p", modes: BILD, rule: "drafting", server: "bild", short: "run",
        doc: "BiLD: draft while the product of the little model's top probabilities stays ≥ p, and verify the token that crosses it"
    },
    /**
     * The paper's drafting rule (`ConfidenceFallbackPolicy`), α_FB: fall back to the big model when
     * the little model's top probability is below it (above 1: always). Give it or `runConfidence`.
     */
    fallbackThreshold: {
        kind: "number", min: 0, metavar: "p", modes: BILD, rule: "drafting", server: "bild", short: "fb",
        defaultNote: "the run-confidence rule", doc: "BiLD, the paper's drafting rule: hand over to big when the little model's top probability is below α_FB"
    },
    /**
     * BiLD: most little tokens in a row before the big model runs (`Infinity`: no limit, which a
     * server request cannot ask for). Defaults to 10, the paper's; 20 where the big model is on
     * rpc-servers, whose calls cost round trips (measured: docs/rpc.md). At most 64: a longer run
     * only adds drafts that a rollback throws away, and each costs a little-model call.
     */
    maxLittleTokens: {
        kind: "integer", min: 1, max: 64, infinity: true, default: 10, rpcDefault: 20, metavar: "n", modes: BILD, server: "bild", short: "n",
        doc: "BiLD: most little tokens in a row (inf: no limit)"
    },
    /**
     * The little model's run limit (`maxLittleTokens`, or `draftTokens` in speculative mode) follows
     * what the big model kept (`AdaptiveRunLength`: +2 after a run kept whole, one past the kept part
     * after a cut one). Off by default: the bench's replays put it 3 % ahead greedy and 2–4 % behind
     * under a repetition penalty on the Python pair (docs/benchmarks.md).
     */
    adaptiveRunLength: {
        kind: "boolean", default: false, modes: ["bild", "speculative"], drafter: "little", server: "bild", short: "ar",
        doc: "let the little model's run limit follow what the big model kept (+2 after a run kept whole, one past the kept part after a cut)"
    },
    /**
     * BiLD's default verification (`SpeculativeSamplingPolicy`): the output is the big model's own,
     * equal to it under greedy decoding and distributed exactly as it under sampling. On unless
     * `rollbackThreshold` is given; `false` alone is the paper's rule at α_RB = 0 (also lossless,
     * but under sampling it keeps fewer drafts).
     */
    strict: {
        kind: "boolean", modes: BILD, rule: "verification", server: "bild",
        defaultNote: "on unless a rollback threshold is given", doc: "BiLD: lossless verification (the speculative-sampling rule)"
    },
    /**
     * The paper's verification rule (`NllRollbackPolicy`), α_RB in nats: keep a little token unless
     * −log p_big(token) exceeds it and the big model disagrees. 0 is lossless under greedy
     * decoding; above 0 trades the big model's output for speed; `Infinity` never rolls back.
     */
    rollbackThreshold: {
        kind: "number", min: 0, infinity: true, metavar: "nats", modes: BILD, rule: "verification", server: "bild", short: "rb",
        defaultNote: "lossless, see --strict", doc: "BiLD, the paper's lossy verification: keep a little token unless −log p_big exceeds α_RB (inf: never roll back)"
    },
    /**
     * Speculative decoding and lookup: most tokens drafted per big call. Defaults to 4. At most 64:
     * with every rejection a whole draft is thrown away and drafted again, so a huge k turns a
     * request's work quadratic in its length.
     */
    draftTokens: {
        kind: "integer", min: 1, max: 64, default: 4, metavar: "k", modes: ["speculative", "lookup"], server: "bild", short: "k",
        doc: "speculative and lookup: most tokens drafted per big call"
    },
    /**
     * BiLD and speculative decoding: the drafters asked in turn each run, the first that proposes
     * drafting it (llama.cpp's `--spec-type a,b`): `little` the little model alone; `ngram+little`
     * the n-gram memory (`NgramDrafter`) where it remembers a continuation, the little model
     * otherwise; `lookup+little` prompt lookup (`LookupDrafter`, `lookupNgram`) first. Defaults to
     * `ngram+little`: over `little` +23 % greedy, +5 % sampled, within run noise under a repeat
     * penalty (docs/defaults.md).
     */
    drafters: {
        kind: "choice", choices: ["little", "ngram+little", "lookup+little"], default: "ngram+little", metavar: "chain",
        modes: ["bild", "speculative"], server: "bild", short: "dr",
        doc: "bild and speculative: drafters asked in turn each run (ngram+little: the n-gram memory where it knows a continuation)"
    },
    /**
     * Lookup drafting (`LookupDrafter`): how many of the last tokens must have occurred before for
     * what followed them to be proposed; in bild and speculative modes where `drafters` chains
     * `lookup`. Defaults to 3 (not tuned by measurement yet).
     */
    lookupNgram: {
        kind: "integer", min: 1, max: 16, default: 3, metavar: "n", modes: ["lookup", "bild", "speculative"], drafter: "lookup", server: "bild", short: "ng",
        doc: "lookup drafting: tokens matched before what followed them is proposed"
    },
    /**
     * N-gram drafting (`NgramDrafter`, the `ngram` mode and the `ngram` drafter of a chain): a draft
     * token needs a remembered context of at least this many tokens (2, 4, 8 or 16; other values
     * round down to one of them). Defaults to 4.
     */
    ngramMinMatch: {
        kind: "integer", min: 2, max: 16, default: 4, metavar: "n", modes: ["ngram", "bild", "speculative"], drafter: "ngram", server: "bild", short: "nm",
        doc: "n-gram drafting: shortest remembered context a draft token may follow (2, 4, 8 or 16)"
    },
    /**
     * N-gram drafting: most tokens per run. A run is also at most 4× as long as the context that
     * predicted its latest token, and its limit halves after a run the big model cut and doubles
     * after one it kept whole. Defaults to 64, llama.cpp's `ngram-mod`'s.
     */
    ngramMaxDraft: {
        kind: "integer", min: 1, max: 64, default: 64, metavar: "n", modes: ["ngram", "bild", "speculative"], drafter: "ngram", server: "bild", short: "nx",
        doc: "n-gram drafting: most tokens per run"
    },
    /**
     * llama.cpp's repeat penalty (`--repeat-penalty`): the logit of each token in the last
     * `repeatLastN` tokens (prompt included) is divided by it, multiplied where it is ≤ 0; greedy or
     * sampled, before every other adjustment, in every mode and for both models. Defaults to 1 (off).
     */
    repeatPenalty: {
        kind: "number", min: 0, exclusiveMin: true, max: 10, default: 1, metavar: "x", modes: DECODING_MODES, server: "body",
        doc: "divide the logits of tokens in the last repeat-last-n tokens by x (1: off), as llama.cpp does"
    },
    /** The window of the repetition penalties, in tokens: prompt and output, as `llama-completion` counts it; 0 turns them off. Defaults to 64, llama.cpp's. */
    repeatLastN: {
        kind: "integer", min: 0, max: 65536, default: 64, metavar: "n", modes: DECODING_MODES, server: "body",
        doc: "repetition penalties: how many of the last tokens (prompt included) they look at (0: off)"
    },
    /** OpenAI's and llama.cpp's frequency penalty: subtracted from a token's logit once per occurrence in the window. Defaults to 0 (off). */
    frequencyPenalty: {
        kind: "number", min: -2, max: 2, default: 0, metavar: "x", modes: DECODING_MODES, server: "body",
        doc: "lower a token's logit by x per occurrence in the last repeat-last-n tokens (0: off)"
    },
    /** OpenAI's and llama.cpp's presence penalty: subtracted once from the logit of each token in the window. Defaults to 0 (off). */
    presencePenalty: {
        kind: "number", min: -2, max: 2, default: 0, metavar: "x", modes: DECODING_MODES, server: "body",
        doc: "lower the logit of each token in the last repeat-last-n tokens by x (0: off)"
    },
    /**
     * The little model drafts under the repetition penalties too (llama.cpp's draft model does
     * not): its drafts then follow the penalised text the big model writes. `false` drafts from the
     * little model's plain logits (still lossless: the big model verifies). Defaults to true.
     */
    draftPenalty: {
        kind: "boolean", default: true, modes: ["bild", "speculative"], server: "bild", short: "dp",
        doc: "apply the repetition penalties to the little model's drafts too"
    },
    /** Softmax temperature; 0 picks the most likely token (greedy, what BiLD's guarantees are stated for). Defaults to 0. */
    temperature: {
        kind: "number", min: 0, max: 2, default: 0, metavar: "t", modes: DECODING_MODES, server: "body",
        doc: "sampling temperature (0: greedy)"
    },
    /** Sampling: keep the smallest set of most likely tokens whose probability adds up to at least this. Defaults to 1 (off). */
    topP: {
        kind: "number", min: 0, exclusiveMin: true, max: 1, default: 1, sampling: true, metavar: "p", modes: DECODING_MODES, server: "body",
        doc: "sampling: keep the most likely tokens up to this total probability (1: off)"
    },
    /**
     * Sampling: keep only the k most likely tokens; 0 keeps all (exact, but a vocabulary-sized read
     * per position). Defaults to 40, llama.cpp's: the engine then cuts them natively, and a sampled
     * position costs about what a greedy one does (docs/benchmarks.md, "Sampling cost").
     */
    topK: {
        kind: "integer", min: 0, default: 40, sampling: true, metavar: "k", modes: DECODING_MODES, server: "body",
        doc: "sampling: keep the k most likely tokens (0: all, exact but slow on big vocabularies)"
    },
    /** Sampling: drop tokens less likely than this fraction of the most likely one. Defaults to 0 (off). */
    minP: {
        kind: "number", min: 0, max: 1, default: 0, sampling: true, metavar: "p", modes: DECODING_MODES, server: "body",
        doc: "sampling: drop tokens below this fraction of the top probability (0: off)"
    },
    /**
     * Sampling: seed of the generation's random numbers; the same seed and settings give the same
     * output. A seeded generation evaluates its prompt without the cached prefix (see `Decoder`).
     * Defaults to a random seed, reported in the result.
     */
    seed: {
        kind: "integer", min: 0, max: MAX_SEED, sampling: true, metavar: "n", modes: DECODING_MODES, server: "body",
        defaultNote: "random, reported", doc: "sampling: random seed; the same seed gives the same output"
    }
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof DECODING_SETTINGS;

/** Where the big model's layers are: this process, or llama.cpp rpc-servers (some defaults differ, see `rpcDefault`). */
export type BigModelPlacement = "local" | "rpc";
export const SETTING_NAMES = Object.keys(DECODING_SETTINGS) as SettingName[];

type ValueOf<S> =
    S extends {kind: "boolean"} ? boolean
        : S extends {kind: "texts"} ? readonly string[]
            : S extends {kind: "choice", choices: readonly (infer C)[]} ? C
                : number;

/** Decoding settings by their library names; each is optional (see {@link DECODING_SETTINGS} for its default). */
export type DecodingSettings = {readonly [K in SettingName]?: ValueOf<(typeof DECODING_SETTINGS)[K]>};

export const settingSpec = (name: SettingName): SettingSpec => DECODING_SETTINGS[name];

/** The drafters the `drafters` setting chains (bild and speculative modes), in the order they are asked. */
export const drafterChain = (settings: DecodingSettings): readonly DrafterName[] =>
    (settings.drafters ?? DECODING_SETTINGS.drafters.default).split("+") as DrafterName[];

/**
 * Whether `name` takes effect in `mode` with the drafters `settings` chain: a drafter's size only
 * where the chain has that drafter (in a mode with a drafter of its own, its `modes` say it).
 */
export function takesEffect(name: SettingName, settings: DecodingSettings, mode: DecodingMode): boolean {
    const spec = settingSpec(name);
    return spec.modes.includes(mode) &&
        (spec.drafter == null || !settingSpec("drafters").modes.includes(mode) || drafterChain(settings).includes(spec.drafter));
}

/** The mode `settings` decode in. */
export const modeOf = (settings: DecodingSettings): DecodingMode => settings.mode ?? DECODING_SETTINGS.mode.default;

const splitWords = (name: string, separator: string) => name.replace(/[A-Z]/g, (letter) => separator + letter.toLowerCase());
/** `maxLittleTokens` → `max-little-tokens`: the CLI flag and the bench grid key. */
export const kebabCase = (name: string) => splitWords(name, "-");
/** `topP` → `top_p`: OpenAI's spelling of a request body field. */
export const snakeCase = (name: string) => splitWords(name, "_");

/** The request field a server reads a setting from. */
export const requestField = (name: SettingName) => settingSpec(name).server === "body" ? snakeCase(name) : name;

/** "a number from 0 to 1", "an integer ≥ 1 or inf", …: what a setting accepts, for error messages. */
export function describeRange(spec: SettingSpec): string {
    if (spec.kind === "boolean")
        return "true or false";
    if (spec.kind === "choice")
        return `one of ${spec.choices!.join(", ")}`;
    if (spec.kind === "texts")
        return `non-empty strings of at most ${MAX_STOP_LENGTH} characters`;
    const noun = spec.kind === "integer" ? "an integer" : "a number";
    const low = spec.min == null ? "" : `${spec.exclusiveMin === true ? ">" : "≥"} ${spec.min}`;
    const range = spec.max == null
        ? `${noun} ${low}`
        : spec.exclusiveMin === true ? `${noun} ${low} and ≤ ${spec.max}` : `${noun} from ${spec.min} to ${spec.max}`;
    return spec.infinity === true ? `${range} or inf` : range;
}

/** Whether `value` is in the setting's range (its type included). */
export function inRange(spec: SettingSpec, value: unknown): boolean {
    switch (spec.kind) {
        case "boolean":
            return typeof value === "boolean";
        case "choice":
            return typeof value === "string" && spec.choices!.includes(value);
        case "texts":
            return Array.isArray(value) && value.every((text) => typeof text === "string" && text.length > 0 && text.length <= MAX_STOP_LENGTH);
        default:
            if (typeof value !== "number" || Number.isNaN(value))
                return false;
            if (value === Number.POSITIVE_INFINITY)
                return spec.infinity === true;
            return Number.isFinite(value) &&
                (spec.kind === "number" || Number.isInteger(value)) &&
                (spec.min == null || (spec.exclusiveMin === true ? value > spec.min : value >= spec.min)) &&
                (spec.max == null || value <= spec.max);
    }
}

/** What absence of the setting means, for `--help` and docs. */
export function describeDefault(spec: SettingSpec): string | undefined {
    const plain = spec.default != null ? String(spec.default) : spec.defaultNote;
    return spec.rpcDefault == null ? plain : `${plain}; ${spec.rpcDefault} with the big model on rpc-servers`;
}

/** The settings that shape the built-in drafting rules' runs, which a custom drafting policy decides for itself. */
const RUN_SHAPES: readonly SettingName[] = ["maxLittleTokens", "adaptiveRunLength"];

/**
 * `settings` with the defaults of `placement` filled in where they differ from the plain ones and
 * the setting would take effect: not where another alternative of its rule was chosen (a given
 * `fallbackThreshold` leaves `runConfidence` out), and a custom drafting policy decides its own runs.
 */
export function withPlacementDefaults(
    settings: DecodingSettings, placement: BigModelPlacement, custom: {readonly drafting?: unknown} = {}
): DecodingSettings {
    if (placement === "local")
        return settings;
    const mode = modeOf(settings);
    const chosen = new Set(SETTING_NAMES.filter((name) => settings[name] !== undefined && settings[name] !== false).map((name) => settingSpec(name).rule));
    if (custom.drafting != null)
        chosen.add("drafting");
    const filled = SETTING_NAMES.filter((name) => {
        const spec = settingSpec(name);
        return settings[name] === undefined && spec.rpcDefault != null && takesEffect(name, settings, mode) &&
            !(spec.rule != null && chosen.has(spec.rule)) && !(custom.drafting != null && RUN_SHAPES.includes(name));
    });
    return filled.length === 0 ? settings : {...settings, ...Object.fromEntries(filled.map((name) => [name, settingSpec(name).rpcDefault]))};
}


const formatValue = (value: unknown) => value === Number.POSITIVE_INFINITY ? "inf" : typeof value === "string" ? value : JSON.stringify(value);

/**
 * Throws a `BildUsageError` naming the setting and the fix where a setting is out of range, would be
 * ignored in `mode`, or is a second alternative of a rule. `custom` names the rules a custom policy
 * object fills, which count as one more alternative each.
 */
export function checkSettings(
    settings: DecodingSettings, mode: DecodingMode, custom: {readonly drafting?: unknown, readonly verification?: unknown} = {}
): void {
    const chosen: Record<"drafting" | "verification", string[]> = {
        drafting: custom.drafting == null ? [] : ["fallbackPolicy"],
        verification: custom.verification == null ? [] : ["rollbackPolicy"]
    };
    // Policy objects are BiLD's alone; the settings' own modes are checked below.
    const policy = chosen.drafting[0] ?? chosen.verification[0];
    if (policy != null && mode !== "bild")
        throw new BildUsageError(`${policy} applies to bild mode, not to ${mode}: drop it or change the mode`);
    for (const name of SETTING_NAMES) {
        const value = settings[name];
        if (value === undefined)
            continue;
        const spec = settingSpec(name);
        if (!inRange(spec, value))
            throw new BildUsageError(`${name} must be ${describeRange(spec)}, got ${formatValue(value)}`);
        if (!spec.modes.includes(mode))
            throw new BildUsageError(`${name} applies to ${spec.modes.join(" and ")} mode, not to ${mode}: drop it or change the mode`);
        if (!takesEffect(name, settings, mode))
            throw new BildUsageError(`${name} sizes the ${spec.drafter} drafter, which drafters ${settings.drafters ?? DECODING_SETTINGS.drafters.default} does not chain: drop it or set drafters to one with ${spec.drafter}`);
        // `false` turns a rule off rather than choosing it.
        if (spec.rule != null && value !== false)
            chosen[spec.rule].push(name);
    }
    for (const [rule, names] of Object.entries(chosen))
        if (names.length > 1)
            throw new BildUsageError(`${names.join(" and ")} are two ${rule} rules: give one of them, not both`);
    for (const name of RUN_SHAPES)
        if (custom.drafting != null && settings[name] !== undefined)
            throw new BildUsageError(`${name} shapes the built-in drafting rules' runs; a custom fallbackPolicy decides its own run length: drop ${name}`);
    if ((settings.temperature ?? DECODING_SETTINGS.temperature.default) === 0)
        for (const name of SETTING_NAMES)
            if (settingSpec(name).sampling === true && settings[name] !== undefined && settings[name] !== settingSpec(name).default)
                throw new BildUsageError(`${name} shapes sampling, and at temperature 0 decoding is greedy: drop ${name}, or set a temperature above 0`);
}

/** The settings among `settings` that take effect in `mode` (with the drafters `chainOf` chains, by default `settings`' own). */
export function settingsFor(settings: DecodingSettings, mode: DecodingMode, chainOf: DecodingSettings = settings): DecodingSettings {
    return Object.fromEntries(SETTING_NAMES.filter((name) => settings[name] !== undefined && takesEffect(name, chainOf, mode))
        .map((name) => [name, settings[name]]));
}

/**
 * `base` (a server's defaults) overridden by `override` (a request): a setting in `override` also
 * replaces its rule's alternatives in `base`, and `base`'s settings that would not take effect in
 * the resulting mode are dropped, so only the request's own settings can be rejected for its mode.
 */
export function mergeSettings(base: DecodingSettings, override: DecodingSettings): DecodingSettings {
    const mode = modeOf({...base, ...override});
    // A greedy request drops the defaults' sampling settings, as it drops settings of other modes.
    const greedy = (override.temperature ?? base.temperature ?? DECODING_SETTINGS.temperature.default) === 0;
    const overriddenRules = new Set(SETTING_NAMES.filter((name) => override[name] !== undefined).map((name) => settingSpec(name).rule));
    const replaced = (name: SettingName) => {
        const {rule} = settingSpec(name);
        return override[name] !== undefined || (rule != null && overriddenRules.has(rule)) || (greedy && settingSpec(name).sampling === true);
    };
    const kept = Object.fromEntries(Object.entries(settingsFor(base, mode, {...base, ...override})).filter(([name]) => !replaced(name as SettingName)));
    return {...kept, ...override};
}

/** `settings` as `bild generate` flags, e.g. `--mode bild --run-confidence 0.05 --max-little-tokens inf`. */
export function asCliFlags(settings: DecodingSettings): string {
    // A flag turns a boolean away from its default: `--strict`, `--no-special-tokens`.
    const isFlag = (name: SettingName) => settings[name] !== undefined &&
        !(settingSpec(name).kind === "boolean" && settings[name] === (settingSpec(name).default ?? false));
    return SETTING_NAMES.filter(isFlag).map((name) => {
        const value = settings[name];
        const flag = `--${kebabCase(name)}`;
        if (value === true)
            return flag;
        if (value === false)
            return `--no-${kebabCase(name)}`;
        return `${flag} ${Array.isArray(value) ? value.map((text) => JSON.stringify(text)).join(" ") : formatValue(value)}`;
    }).join(" ");
}

/** `settings` as library options source, e.g. `{mode: "bild", runConfidence: 0.05, maxLittleTokens: Infinity}`. */
export function asLibraryOptions(settings: DecodingSettings): string {
    const entries = SETTING_NAMES.filter((name) => settings[name] !== undefined)
        .map((name) => `${name}: ${settings[name] === Number.POSITIVE_INFINITY ? "Infinity" : JSON.stringify(settings[name])}`);
    return `{${entries.join(", ")}}`;
}
