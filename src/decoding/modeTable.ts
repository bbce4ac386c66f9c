import type {ModelSequence} from "../engine/ModelSequence.js";
import type {DecodingMode} from "./DecodingMode.js";
import {LittleModelDrafter} from "./drafters/LittleModelDrafter.js";
import {LookupDrafter} from "./drafters/LookupDrafter.js";
import {LookupFirstDrafter} from "./drafters/LookupFirstDrafter.js";
import type {GenerateOptions} from "./GenerateOptions.js";
import {ConfidenceFallbackPolicy} from "./policies/ConfidenceFallbackPolicy.js";
import {DraftConfidencePolicy} from "./policies/DraftConfidencePolicy.js";
import type {FallbackPolicy} from "./policies/FallbackPolicy.js";
import {NllRollbackPolicy} from "./policies/NllRollbackPolicy.js";
import type {RollbackPolicy} from "./policies/RollbackPolicy.js";
import {SpeculativeSamplingPolicy} from "./policies/SpeculativeSamplingPolicy.js";
import type {RandomSource} from "./sampling/RandomSource.js";
import {DECODING_SETTINGS} from "./settings/decodingSettings.js";
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
    readonly random: RandomSource
};

/** One mode: the models it reads, its rules, and the strategy that runs it. */
export type ModeSpec = {
    /** The sequences a generation uses: each is prepared with the prompt (its cached prefix kept). */
    readonly models: readonly ("big" | "little")[],
    /** The drafting and verification rules, from the settings (draft-and-verify modes). */
    readonly rules?: (options: GenerateOptions) => DraftVerifyRules,
    readonly strategy: (parts: StrategyParts, rules: DraftVerifyRules | undefined, drafting: DraftingSizes) => DecodingStrategy
};

/** The sizes a drafter without a model needs, defaults applied. */
export type DraftingSizes = {
    readonly draftTokens: number,
    readonly lookupNgram: number,
    /** The n-gram of the lookup tried before the little model drafts (bild, speculative); 0: none. */
    readonly draftLookup: number,
    /** Most tokens that lookup proposes per run. */
    readonly draftLookupTokens: number
};

/** The little model drafts under `rules` (after a lookup, where `draftLookup` asks for one), the big model verifies: BiLD and speculative decoding. */
function littleDraftsBigVerifies(
    {big, little, chooser, draftChooser, random}: StrategyParts, rules: DraftVerifyRules | undefined, sizes: DraftingSizes
): DecodingStrategy {
    const {fallback, rollback} = rules!;
    const model = new LittleModelDrafter({little, chooser: draftChooser, fallback: fallback!, draftableIds: big.vocabularySize});
    const drafter = sizes.draftLookup === 0 ? model : new LookupFirstDrafter(new LookupDrafter(sizes.draftLookup, sizes.draftLookupTokens), model);
    return new DraftVerifyStrategy({big, drafter, chooser, rollback, random});
}

/**
 * Every decoding mode, once: which models it uses, which rules it runs under and the strategy that
 * decodes it. A new mode (a new drafter) is one entry here, plus its settings' `modes`.
 */
export const MODE_TABLE = {
    big: {models: ["big"], strategy: ({big, chooser}) => new AutoregressiveStrategy("big", big, chooser)},
    little: {models: ["little"], strategy: ({little, chooser}) => new AutoregressiveStrategy("little", little, chooser)},
    speculative: {
        models: ["big", "little"],
        // Classic speculative decoding / sampling: always draft k tokens, verify strictly.
        rules: (options) => ({
            fallback: new ConfidenceFallbackPolicy(0, options.draftTokens ?? DECODING_SETTINGS.draftTokens.default),
            rollback: new SpeculativeSamplingPolicy()
        }),
        strategy: littleDraftsBigVerifies
    },
    bild: {
        models: ["big", "little"],
        rules: (options) => {
            const maxLittleTokens = options.maxLittleTokens ?? DECODING_SETTINGS.maxLittleTokens.default;
            const {fallbackThreshold, rollbackThreshold} = options;
            return {
                fallback: options.fallbackPolicy ?? (fallbackThreshold == null
                    ? new DraftConfidencePolicy(options.runConfidence ?? DECODING_SETTINGS.runConfidence.default, maxLittleTokens)
                    : new ConfidenceFallbackPolicy(fallbackThreshold, maxLittleTokens)),
                rollback: options.rollbackPolicy ?? (options.strict ?? rollbackThreshold == null
                    ? new SpeculativeSamplingPolicy()
                    : new NllRollbackPolicy(rollbackThreshold ?? 0))
            };
        },
        strategy: littleDraftsBigVerifies
    },
    lookup: {
        models: ["big"],
        rules: () => ({rollback: new SpeculativeSamplingPolicy()}),
        strategy: ({big, chooser, random}, rules, options) => new DraftVerifyStrategy({
            big, chooser, random, rollback: rules!.rollback,
            drafter: new LookupDrafter(options.lookupNgram, options.draftTokens)
        })
    }
} as const satisfies Record<DecodingMode, ModeSpec>;
