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
    bild?: Record<string, unknown>
} & Record<string, unknown>;

export type CompletionRequestBody = CommonRequestBody & {prompt: string | string[] | number[]};
export type ChatRequestBody = CommonRequestBody & {messages: ChatMessage[]};

/** JSON schema of one setting's request field, from its declaration. */
function settingSchema(spec: SettingSpec): object {
    if (spec.jsonSchema != null)
        return spec.jsonSchema;
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
    .map((name) => [requestField(name), settingSchema(settingSpec(name))]));

const commonProperties = {
    model: {type: "string"},
    stream: {type: "boolean"},
    stream_options: {type: ["object", "null"], properties: {include_usage: {type: "boolean"}}},
    user: {type: "string"},
    n: {type: "integer", minimum: 1},
    ...settingProperties("body"),
    bild: {type: "object", additionalProperties: false, properties: settingProperties("bild")}
};

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
};

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
};

/** The decoding settings a (schema-validated) request names, under their library names. */
export function decodingSettingsOfRequest(body: CommonRequestBody): DecodingSettings {
    const settings: Record<string, unknown> = {};
    for (const name of SETTING_NAMES) {
        const spec = settingSpec(name);
        const value = spec.server === "body" ? body[requestField(name)] : body.bild?.[name];
        if (value !== undefined)
            // OpenAI lets a single stop string stand for a list of one.
            settings[name] = spec.kind === "texts" && typeof value === "string" ? [value] : value;
    }
    return settings as DecodingSettings;
}
