import {randomInt} from "node:crypto";
import type {RepetitionPenalty} from "../../engine/RepetitionPenalty.js";
import {DECODING_SETTINGS, MAX_SEED, type DecodingSettings} from "../settings/decodingSettings.js";

/**
 * How each model's next-token distribution is adjusted before a token is drawn from it, with
 * defaults applied. The order is the one of Hugging Face transformers and of the speculative-sampling
 * papers: temperature, then top-k, then top-p, then min-p (node-llama-cpp applies temperature last,
 * so its top-p keeps a different set at temperatures other than 1). Always `temperature > 0`: greedy
 * decoding has none.
 */
export type SamplingSettings = {
    readonly temperature: number,
    readonly topP: number,
    readonly topK: number,
    readonly minP: number,
    readonly seed: number,
    /** The caller chose the seed, so expects the generation to replay exactly. */
    readonly seeded: boolean
};

/** The settings that shape a distribution (everything but the randomness). */
export type DistributionSettings = Pick<SamplingSettings, "temperature" | "topP" | "topK" | "minP">;

/** Sampling settings of range-checked decoding settings; `undefined` means greedy decoding (temperature 0). */
export function samplingOf(settings: DecodingSettings): SamplingSettings | undefined {
    const temperature = settings.temperature ?? DECODING_SETTINGS.temperature.default;
    if (temperature === 0)
        return undefined;
    const {seed} = settings;
    return {
        temperature,
        topP: settings.topP ?? DECODING_SETTINGS.topP.default,
        topK: settings.topK ?? DECODING_SETTINGS.topK.default,
        minP: settings.minP ?? DECODING_SETTINGS.minP.default,
        seed: seed ?? randomInt(MAX_SEED),
        seeded: seed != null
    };
}

/**
 * The repetition penalty of range-checked settings; `undefined` where it changes nothing, by
 * llama.cpp's own test (in single precision, as llama.cpp reads the values): an empty window, or a
 * repeat penalty of 1 with no frequency or presence penalty.
 */
export function repetitionPenaltyOf(settings: DecodingSettings): RepetitionPenalty | undefined {
    const penalty = {
        repeat: settings.repeatPenalty ?? DECODING_SETTINGS.repeatPenalty.default,
        lastN: settings.repeatLastN ?? DECODING_SETTINGS.repeatLastN.default,
        frequency: settings.frequencyPenalty ?? DECODING_SETTINGS.frequencyPenalty.default,
        presence: settings.presencePenalty ?? DECODING_SETTINGS.presencePenalty.default
    };
    const neutral = Math.fround(penalty.repeat) === 1 && Math.fround(penalty.frequency) === 0 && Math.fround(penalty.presence) === 0;
    return penalty.lastN === 0 || neutral ? undefined : penalty;
}
