export {ModelPair, type ModelPairSources, type PairEngineSettings} from "./engine/ModelPair.js";
export {LoadedModel} from "./engine/LoadedModel.js";
export {SharedVocabularySequence} from "./engine/SharedVocabularySequence.js";
export {MAX_VOCABULARY_SIZE_DIFFERENCE} from "./engine/checkSharedTokenizer.js";
export {Tokenizer, type TextCodec} from "./engine/Tokenizer.js";
export type {ModelSequence, NextTokenFacts, Token, LogitPairs} from "./engine/ModelSequence.js";
export {
    DEFAULT_THREADS, defaultBigThreads, DEFAULT_MAX_CONTEXT_SIZE, DEFAULT_BATCH_SIZE, DEFAULT_SEQUENCES, DEFAULT_GPU, GPU_CHOICES,
    DEFAULT_ATTENTION_PROBE_TOKENS, type EngineSettings, type GpuChoice
} from "./engine/EngineSettings.js";
export {Decoder, type DecoderParts, type GenerationStream, type ScoredToken, type TokenScore} from "./decoding/Decoder.js";
export type {GenerateOptions} from "./decoding/GenerateOptions.js";
export {DecodingPlan, planDecoding, type DraftVerifyRules} from "./decoding/DecodingPlan.js";
export {
    DECODING_SETTINGS, MAX_SEED, checkSettings, mergeSettings, type DecodingSettings, type SettingName, type SettingSpec
} from "./decoding/settings/decodingSettings.js";
export {DRAFTER_NAMES, type GenerationResult, type GenerationStats, type TokenOrigin, type FinishReason, type DrafterName, type DrafterCounts} from "./decoding/GenerationResult.js";
export type {FallbackPolicy} from "./decoding/policies/FallbackPolicy.js";
export type {RollbackPolicy} from "./decoding/policies/RollbackPolicy.js";
export {ConfidenceFallbackPolicy, DEFAULT_FALLBACK_THRESHOLD, DEFAULT_MAX_LITTLE_TOKENS} from "./decoding/policies/ConfidenceFallbackPolicy.js";
export {DraftConfidencePolicy, DEFAULT_RUN_CONFIDENCE} from "./decoding/policies/DraftConfidencePolicy.js";
export type {DraftDecision} from "./decoding/policies/FallbackPolicy.js";
export {NllRollbackPolicy, DEFAULT_ROLLBACK_THRESHOLD} from "./decoding/policies/NllRollbackPolicy.js";
export {SpeculativeSamplingPolicy} from "./decoding/policies/SpeculativeSamplingPolicy.js";
export type {TokenChoice} from "./decoding/TokenChoice.js";
export type {SamplingSettings, DistributionSettings} from "./decoding/sampling/SamplingOptions.js";
export {TokenDistribution} from "./decoding/sampling/TokenDistribution.js";
export {seededRandom, type RandomSource} from "./decoding/sampling/RandomSource.js";
export {DECODING_MODES, type DecodingMode} from "./decoding/DecodingMode.js";
export {MODE_TABLE, DRAFTING_MODES, type ModeSpec, type StrategyParts, type DraftingSizes} from "./decoding/modeTable.js";
export type {Drafter} from "./decoding/drafters/Drafter.js";
export {LittleModelDrafter, type LittleModelDrafterParts} from "./decoding/drafters/LittleModelDrafter.js";
export {BildUsageError} from "./errors.js";
export {NgramMemory, NGRAM_ORDERS, type NgramMemoryOptions} from "./decoding/drafters/NgramMemory.js";
export {NgramDrafter, type NgramDrafterParams} from "./decoding/drafters/NgramDrafter.js";
export {LookupDrafter} from "./decoding/drafters/LookupDrafter.js";
export {chooseFlashAttention, flashAttentionCacheFile, type FlashAttentionChoice} from "./engine/chooseFlashAttention.js";
