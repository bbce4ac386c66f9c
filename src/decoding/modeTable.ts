import type {ModelSequence} from "../engine/ModelSequence.js";
import {DECODING_MODES, type DecodingMode} from "./DecodingMode.js";
import {LittleModelDrafter} from "./drafters/LittleModelDrafter.js";
import {LookupDrafter} from "./drafters/LookupDrafter.js";
import {NgramDrafter} from "./drafters/NgramDrafter.js";
import type {NgramMemory} from "./drafters/NgramMemory.js";
import type {Drafter} from "./drafters/Drafter.js";
import type {DrafterName} from "./GenerationResult.js";
import type {GenerateOptions} from "./GenerateOptions.js";
import {AdaptiveRunLength} from "./policies/AdaptiveRunLength.js";
import {ConfidenceFallbackPolicy} from "./policies/ConfidenceFallbackPolicy.js";
import {DraftConfidencePolicy} from "./policies/DraftConfidencePolicy.js";
import type {FallbackPolicy} from "./policies/FallbackPolicy.js";
import {NllRollbackPolicy} from "./policies/NllRollbackPolicy.js";
import type {RollbackPolicy} from "./policies/RollbackPolicy.js";
import {SpeculativeSamplingPolicy} from "./policies/SpeculativeSamplingPolicy.js";
import type {RandomSource} from "./sampling/RandomSource.js";
import {DECODING_SETTINGS, drafterChain} from "./settings/decodingSettings.js";
import {AutoregressiveStrategy} from "./strategies/AutoregressiveStrategy.js";
import type {DecodingStrategy} from "./strategies/DecodingStrategy.js";
import {DraftVerifyStrategy} from "./strategies/DraftVerifyStrategy.js";
import type {NextTokenChooser} from "./strategies/NextTokenChooser.js";

/** The rules of a draft-and-verify generation: when a drafting model stops (none for a lookup), and what the big model keeps. */
export type DraftVerifyRules = {readonly fallback?: FallbackPolicy, readonly rollback: RollbackPolicy};

/** What a mode's strategy is built from, for one generation. */
export type StrategyParts = {
    readonly big: ModelSequence,
    readonly little: ModelSequence,
    /** The picks of the model whose tokens are the output. */
    readonly chooser: NextTokenChooser,
    /** The little model's picks when it drafts (without the repetition penalty where `draftPenalty` is off). */
    readonly draftChooser: NextTokenChooser,
    readonly random: RandomSource,
    /** What the n-gram drafter has learnt: the decoder's, kept across its generations. */
    readonly ngramMemory: NgramMemory
};

/** One mode: the models it reads, its rules, and the strategy that runs it. */
export type ModeSpec = {
    /** The sequences a generation uses: each is prepared with the prompt (its cached prefix kept). */
    readonly models: readonly ("big" | "little")[],
    /** Its output is the big model's (greedy: token for token; sampled: in distribution) under the default verification. */
    readonly lossless: boolean,
    /** The drafters it chains: fixed, or read from the `drafters` setting. Absent: one model decodes alone. */
    readonly drafters?: (options: GenerateOptions) => readonly DrafterName[],
    /** The drafting and verification rules, from the settings (draft-and-verify modes). */
    readonly rules?: (options: GenerateOptions) => DraftVerifyRules,
    readonly strategy: (parts: StrategyParts, rules: DraftVerifyRules | undefined, drafting: DraftingSizes) => DecodingStrategy
};

/** What the drafters of a generation need from the settings, defaults applied. */
export type DraftingSizes = {
    /** The chain, asked in this order each run. */
    readonly drafters: readonly DrafterName[],
    readonly lookupNgram: number,
    /** Most tokens the lookup proposes per run. */
    readonly lookupTokens: number,
    readonly ngramMinMatch: number,
    readonly ngramMaxDraft: number
};

/** Every drafter, once: how a generation builds it. A new drafter is one entry here (and its settings). */
const DRAFTER_TABLE = {
    little: ({big, little, draftChooser}, rules) =>
        new LittleModelDrafter({little, chooser: draftChooser, fallback: rules!.fallback!, draftableIds: big.vocabularySize}),
    lookup: (_, __, sizes) => new LookupDrafter(sizes.lookupNgram, sizes.lookupTokens),
    ngram: ({ngramMemory}, __, sizes) => new NgramDrafter(ngramMemory, {minMatch: sizes.ngramMinMatch, maxDraft: sizes.ngramMaxDraft})
} as const satisfies Record<DrafterName, (parts: StrategyParts, rules: DraftVerifyRules | undefined, sizes: DraftingSizes) => Drafter>;

/** The drafters of the chain draft, the big model verifies: every mode but the single-model baselines. */
function draftVerify(parts: StrategyParts, rules: DraftVerifyRules | undefined, sizes: DraftingSizes): DecodingStrategy {
    const drafters = sizes.drafters.map((name) => DRAFTER_TABLE[name](parts, rules, sizes));
    return new DraftVerifyStrategy({big: parts.big, drafters, chooser: parts.chooser, rollback: rules!.rollback, random: parts.random});
}

/** `policy`, under a run limit that follows what the big model kept where `adaptiveRunLength` asks for it. */
const adaptiveIf = (options: GenerateOptions, policy: FallbackPolicy, maxRun: number): FallbackPolicy =>
    options.adaptiveRunLength ?? DECODING_SETTINGS.adaptiveRunLength.default ? new AdaptiveRunLength(policy, maxRun) : policy;

const strictOnly = (): DraftVerifyRules => ({rollback: new SpeculativeSamplingPolicy()});

/**
 * Every decoding mode, once: which models it uses, which drafters and rules it runs under and the
 * strategy that decodes it. A new mode is one entry here, plus its settings' `modes`; the CLI, the
 * server, the bench and the equivalence tests read this table.
 */
export const MODE_TABLE = {
    big: {models: ["big"], lossless: true, strategy: ({big, chooser}) => new AutoregressiveStrategy("big", big, chooser)},
    little: {models: ["little"], lossless: false, strategy: ({little, chooser}) => new AutoregressiveStrategy("little", little, chooser)},
    speculative: {
        models: ["big", "little"],
        lossless: true,
        drafters: drafterChain,
        // Classic speculative decoding / sampling: always draft k tokens, verify strictly.
        rules: (options) => {
            const draftTokens = options.draftTokens ?? DECODING_SETTINGS.draftTokens.default;
            return {fallback: adaptiveIf(options, new ConfidenceFallbackPolicy(0, draftTokens), draftTokens), rollback: new SpeculativeSamplingPolicy()};
        },
        strategy: draftVerify
    },
    bild: {
        models: ["big", "little"],
        lossless: true,
        drafters: drafterChain,
        rules: (options) => {
            const maxLittleTokens = options.maxLittleTokens ?? DECODING_SETTINGS.maxLittleTokens.default;
            const {fallbackThreshold, rollbackThreshold} = options;
            return {
                fallback: options.fallbackPolicy ?? adaptiveIf(options, fallbackThreshold == null
                    ? new DraftConfidencePolicy(options.runConfidence ?? DECODING_SETTINGS.runConfidence.default, maxLittleTokens)
                    : new ConfidenceFallbackPolicy(fallbackThreshold, maxLittleTokens), maxLittleTokens),
                rollback: options.rollbackPolicy ?? (options.strict ?? rollbackThreshold == null
                    ? new SpeculativeSamplingPolicy()
                    : new NllRollbackPolicy(rollbackThreshold ?? 0))
            };
        },
        strategy: draftVerify
    },
    lookup: {models: ["big"], lossless: true, drafters: () => ["lookup"], rules: strictOnly, strategy: draftVerify},
    ngram: {models: ["big"], lossless: true, drafters: () => ["ngram"], rules: strictOnly, strategy: draftVerify}
} as const satisfies Record<DecodingMode, ModeSpec>;

/** The modes whose strategy drafts and verifies, in table order. */
export const DRAFTING_MODES = DECODING_MODES.filter((mode) => (MODE_TABLE[mode] as ModeSpec).drafters != null);
