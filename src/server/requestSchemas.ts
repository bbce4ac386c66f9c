import {DECODING_MODES} from "../decoding/strategies/DecodingStrategy.js";
import {MAX_SEED} from "../decoding/sampling/SamplingOptions.js";

/** Per-request BiLD settings, in the extra `bild` field of a request. */
export type BildRequestSettings = {
    mode?: (typeof DECODING_MODES)[number],
    fallback?: number,
    rollback?: number,
    maxLittleTokens?: number,
    runConfidence?: number,
    draft?: number,
    strict?: boolean
};

export type CommonRequestBody = {
    model?: string,
    max_tokens?: number,
    stop?: string | string[],
    stream?: boolean,
    stream_options?: {include_usage?: boolean},
    temperature?: number,
    top_p?: number,
    /** Not in OpenAI's API; vLLM and llama.cpp's server take it too. */
    top_k?: number,
    /** Not in OpenAI's API; vLLM and llama.cpp's server take it too. */
    min_p?: number,
    seed?: number,
    user?: string,
    n?: number,
    bild?: BildRequestSettings
};

export type CompletionRequestBody = CommonRequestBody & {prompt: string | string[] | number[]};
export type ChatRequestBody = CommonRequestBody & {messages: {role: "system" | "user" | "assistant", content: string}[]};

const commonProperties = {
    model: {type: "string"},
    max_tokens: {type: "integer", minimum: 1},
    stop: {anyOf: [{type: "string", minLength: 1}, {type: "array", items: {type: "string", minLength: 1}, maxItems: 4}]},
    stream: {type: "boolean"},
    stream_options: {type: ["object", "null"], properties: {include_usage: {type: "boolean"}}},
    temperature: {type: "number", minimum: 0, maximum: 2},
    top_p: {type: "number", exclusiveMinimum: 0, maximum: 1},
    top_k: {type: "integer", minimum: 0},
    min_p: {type: "number", minimum: 0, maximum: 1},
    seed: {type: "integer", minimum: 0, maximum: MAX_SEED},
    user: {type: "string"},
    n: {type: "integer", minimum: 1},
    bild: {
        type: "object",
        additionalProperties: false,
        properties: {
            mode: {type: "string", enum: DECODING_MODES},
            fallback: {type: "number", minimum: 0},
            rollback: {type: "number", minimum: 0},
            maxLittleTokens: {type: "integer", minimum: 1},
            runConfidence: {type: "number", minimum: 0, maximum: 1},
            draft: {type: "integer", minimum: 1},
            strict: {type: "boolean"}
        }
    }
} as const;

export const completionBodySchema = {
    type: "object",
    required: ["prompt"],
    properties: {
        ...commonProperties,
        prompt: {anyOf: [
            {type: "string"},
            {type: "array", items: {type: "string"}, minItems: 1, maxItems: 1},
            {type: "array", items: {type: "integer", minimum: 0}, minItems: 1}
        ]}
    }
} as const;

export const chatBodySchema = {
    type: "object",
    required: ["messages"],
    properties: {
        ...commonProperties,
        messages: {
            type: "array",
            minItems: 1,
            items: {
                type: "object",
                required: ["role", "content"],
                properties: {role: {type: "string", enum: ["system", "user", "assistant"]}, content: {type: "string"}}
            }
        }
    }
} as const;
