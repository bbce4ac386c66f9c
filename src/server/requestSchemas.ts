import type {ChatMessage} from "../engine/ChatFormatter.js";
import {
    requestField, SETTING_NAMES, settingSpec, type DecodingSettings, type SettingSpec
} from "../decoding/settings/decodingSettings.js";

/** The fields every request may carry besides its decoding settings (which `decodingSettingsOfRequest` reads). */
export type CommonRequestBody = {
    model?: string,
    stream?: boolean,
    stream_options?: {include_usage?: boolean},
    user?: string,
    n?: number,
    /** BiLD's own settings, by their library names (`{"runConfidence": 0.05, "strict": true}`). */
    bild?: Record<string, unknown> | null
} & Record<string, unknown>;

export type CompletionRequestBody = CommonRequestBody & {prompt: string | string[] | number[], logprobs?: number | null};
/** A chat message as OpenAI clients send it: content as text, as text parts, or null. */
export type RequestChatMessage = {role: string, content?: string | null | {type: string, text?: string}[]};
export type ChatRequestBody = CommonRequestBody & {messages: RequestChatMessage[], logprobs?: boolean | null, top_logprobs?: number | null};

/**
 * The request's messages in the formatter's terms (`developer` is OpenAI's newer name for
 * `system`), or the reason they cannot be served.
 */
export function chatMessagesOf(messages: readonly RequestChatMessage[]): ChatMessage[] | {error: string} {
    const result: ChatMessage[] = [];
    for (const [index, message] of messages.entries()) {
        if (message.role === "tool" || message.role === "function")
            return {error: `messages[${index}]: ${message.role} messages are not supported: this server has no tool calling (send the tool's result as a user message)`};
        const parts = typeof message.content === "string" || message.content == null ? [{type: "text", text: message.content ?? ""}] : message.content;
        const other = parts.find((part) => part.type !== "text");
        if (other != null)
            return {error: `messages[${index}]: content parts of type "${other.type}" are not supported: send text parts only`};
        const role = message.role === "developer" ? "system" : message.role as ChatMessage["role"];
        result.push({role, content: parts.map((part) => part.text ?? "").join("")});
    }
    return result;
}

/**
 * `schema` or `null`: the official clients and LangChain send `null` for options they leave unset,
 * and a request means the same by it as by leaving the field out.
 */
type FieldSchema = {type?: string | string[], enum?: readonly unknown[], anyOf?: readonly object[], [keyword: string]: unknown};

function nullable(schema: FieldSchema): FieldSchema {
    if (schema.anyOf != null)
        return {...schema, anyOf: [...schema.anyOf, {type: "null"}]};
    return {
        ...schema,
        type: [...[schema.type ?? []].flat(), "null"],
        ...(schema.enum == null ? {} : {enum: [...schema.enum, null]})
    };
}

/** JSON schema of one setting's request field, from its declaration. */
function settingSchema(spec: SettingSpec): FieldSchema {
    if (spec.jsonSchema != null)
        return spec.jsonSchema as FieldSchema;
    switch (spec.kind) {
        case "boolean":
            return {type: "boolean"};
        case "choice":
            return {type: "string", enum: spec.choices};
        case "texts":
            return {type: "array", items: {type: "string", minLength: 1}};
        default: {
            // JSON has no Infinity: a request cannot ask for an unlimited setting.
            const bounds = {
                ...(spec.min == null ? {} : spec.exclusiveMin === true ? {exclusiveMinimum: spec.min} : {minimum: spec.min}),
                ...(spec.max == null ? {} : {maximum: spec.max})
            };
            return {type: spec.kind, ...bounds};
        }
    }
}

const settingProperties = (where: SettingSpec["server"]) => Object.fromEntries(SETTING_NAMES
    .filter((name) => settingSpec(name).server === where)
    .map((name) => [requestField(name), nullable(settingSchema(settingSpec(name)))]));

const commonProperties = {
    model: {type: ["string", "null"]},
    stream: {type: ["boolean", "null"]},
    stream_options: {type: ["object", "null"], properties: {include_usage: {type: ["boolean", "null"]}}},
    user: {type: ["string", "null"]},
    n: {type: ["integer", "null"], minimum: 1},
    ...settingProperties("body"),
    bild: {type: ["object", "null"], additionalProperties: false, properties: settingProperties("bild")}
};

/** Most alternatives per position a request may ask for (OpenAI's limits: 5 for completions, 20 for chat). */
export const MAX_COMPLETION_LOGPROBS = 5;
export const MAX_CHAT_TOP_LOGPROBS = 20;

export const completionBodySchema = {
    type: "object",
    required: ["prompt"],
    properties: {
        ...commonProperties,
        logprobs: {type: ["integer", "null"], minimum: 0, maximum: MAX_COMPLETION_LOGPROBS},
        prompt: {anyOf: [
            {type: "string"},
            {type: "array", items: {type: "string"}, minItems: 1, maxItems: 1},
            {type: "array", items: {type: "integer", minimum: 0}, minItems: 1}
        ]}
    }
};

export const chatBodySchema = {
    type: "object",
    required: ["messages"],
    properties: {
        ...commonProperties,
        logprobs: {type: ["boolean", "null"]},
        top_logprobs: {type: ["integer", "null"], minimum: 0, maximum: MAX_CHAT_TOP_LOGPROBS},
        messages: {
            type: "array",
            minItems: 1,
            items: {
                type: "object",
                required: ["role"],
                properties: {
                    // "tool" and "function" pass the schema so that the answer can say why they are refused.
                    role: {type: "string", enum: ["system", "developer", "user", "assistant", "tool", "function"]},
                    content: {anyOf: [
                        {type: "string"},
                        {type: "null"},
                        {type: "array", items: {type: "object", required: ["type"], properties: {type: {type: "string"}, text: {type: "string"}}}}
                    ]}
                }
            }
        }
    }
};

/** The decoding settings a (schema-validated) request names, under their library names. */
export function decodingSettingsOfRequest(body: CommonRequestBody): DecodingSettings {
    const settings: Record<string, unknown> = {};
    for (const name of SETTING_NAMES) {
        const spec = settingSpec(name);
        const value = spec.server === "body" ? body[requestField(name)] : body.bild?.[name];
        if (value != null)
            // OpenAI lets a single stop string stand for a list of one.
            settings[name] = spec.kind === "texts" && typeof value === "string" ? [value] : value;
    }
    return settings as DecodingSettings;
}
