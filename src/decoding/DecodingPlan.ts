import type {GenerateOptions} from "./GenerateOptions.js";
import {MODE_TABLE, type DraftingSizes, type DraftVerifyRules, type ModeSpec} from "./modeTable.js";
import {repetitionPenaltyOf, samplingOf, type SamplingSettings} from "./sampling/SamplingOptions.js";
import type {RepetitionPenalty} from "../engine/RepetitionPenalty.js";
import {checkSettings, DECODING_SETTINGS, modeOf, withPlacementDefaults, type BigModelPlacement} from "./settings/decodingSettings.js";
import type {DecodingMode} from "./DecodingMode.js";
import type {NgramMemory} from "./drafters/NgramMemory.js";

export type {DraftVerifyRules};

/**
 * What one generation runs: the settings checked, defaults applied, and the mode turned into its
 * strategy's rules, once. Made by {@link planDecoding}; a `Decoder` runs it as it is. Its policies
 * may keep state within a generation, so a plan serves one generation at a time.
 */
export class DecodingPlan {
    public constructor(
        public readonly mode: DecodingMode,
        public readonly maxTokens: number,
        public readonly stop: readonly string[],
        /** `undefined`: greedy. */
        public readonly sampling: SamplingSettings | undefined,
        /** Set in `bild` and `speculative` modes. */
        public readonly rules: DraftVerifyRules | undefined,
        /** Seconds; `Infinity` for none. */
        public readonly timeLimit: number,
        public readonly signal: AbortSignal | undefined,
        /** Special tokens written in prompt text are read as tokens. */
        public readonly specialTokens: boolean,
        /** The drafter chain and the sizes of the drafters without a model. */
        public readonly drafting: DraftingSizes,
        /** `undefined`: none. */
        public readonly penalty: RepetitionPenalty | undefined,
        /** The little model drafts under `penalty` too. */
        public readonly draftPenalty: boolean,
        /** `undefined`: the decoder's own. */
        public readonly ngramMemory: NgramMemory | undefined
    ) {}
}

/**
 * Checks `options` (each setting's range, settings that would be ignored in the chosen mode, two
 * alternatives of one rule) and turns them into the plan a `Decoder` runs. Throws a
 * `BildUsageError` naming the setting and the fix.
 * @param placement - where the big model runs: the defaults of settings absent from `options`
 *   follow it (`rpcDefault` in the settings table). Defaults to `"local"`.
 */
export function planDecoding(given: GenerateOptions = {}, placement: BigModelPlacement = "local"): DecodingPlan {
    const mode = modeOf(given);
    checkSettings(given, mode, {drafting: given.fallbackPolicy, verification: given.rollbackPolicy});
    const options: GenerateOptions = {...given, ...withPlacementDefaults(given, placement, {drafting: given.fallbackPolicy})};
    return new DecodingPlan(
        mode,
        options.maxTokens ?? DECODING_SETTINGS.maxTokens.default,
        options.stop ?? [],
        samplingOf(options),
        (MODE_TABLE[mode] as ModeSpec).rules?.(options),
        options.timeLimit ?? Number.POSITIVE_INFINITY,
        options.signal,
        options.specialTokens ?? DECODING_SETTINGS.specialTokens.default,
        draftingSizes(options, mode),
        repetitionPenaltyOf(options),
        options.draftPenalty ?? DECODING_SETTINGS.draftPenalty.default,
        options.ngramMemory
    );
}

function draftingSizes(options: GenerateOptions, mode: DecodingMode): DraftingSizes {
    const draftTokens = options.draftTokens ?? DECODING_SETTINGS.draftTokens.default;
    const maxLittleTokens = options.maxLittleTokens ?? DECODING_SETTINGS.maxLittleTokens.default;
    return {
        drafters: (MODE_TABLE[mode] as ModeSpec).drafters?.(options) ?? [],
        lookupNgram: options.lookupNgram ?? DECODING_SETTINGS.lookupNgram.default,
        // A BiLD run is as long as the little model's may be (no limit: the longest a draft may be).
        lookupTokens: mode === "bild" ? Math.min(maxLittleTokens, DECODING_SETTINGS.draftTokens.max) : draftTokens,
        ngramMinMatch: options.ngramMinMatch ?? DECODING_SETTINGS.ngramMinMatch.default,
        ngramMaxDraft: options.ngramMaxDraft ?? DECODING_SETTINGS.ngramMaxDraft.default
    };
}
