import {InvalidArgumentError, Option, type Command} from "commander";
import {
    describeDefault, describeRange, inRange, kebabCase, SETTING_NAMES, settingSpec, type DecodingSettings, type SettingName, type SettingSpec
} from "../decoding/settings/decodingSettings.js";

const INFINITY_WORDS = new Set(["inf", "infinity", "none"]);

/** Parses a flag's text as the setting's kind and checks its range, so commander names the flag in the error. */
function settingParser(spec: SettingSpec): ((text: string) => unknown) | undefined {
    if (spec.kind !== "number" && spec.kind !== "integer")
        return undefined;
    return (text) => {
        const value = spec.infinity === true && INFINITY_WORDS.has(text.trim().toLowerCase()) ? Number.POSITIVE_INFINITY : Number(text);
        if (text.trim() === "" || !inRange(spec, value))
            throw new InvalidArgumentError(`expected ${describeRange(spec)}.`);
        return value;
    };
}

/** One commander option per decoding setting (or per `names`), from the settings table. */
export function addDecodingOptions(command: Command, names: readonly SettingName[] = SETTING_NAMES): Command {
    for (const name of names) {
        const spec = settingSpec(name);
        // A boolean that defaults to true is turned off: `--no-special-tokens`.
        const flag = spec.kind === "boolean"
            ? `--${spec.default === true ? "no-" : ""}${kebabCase(name)}`
            : `--${kebabCase(name)} <${spec.metavar ?? "value"}>`;
        const fallback = describeDefault(spec);
        // No commander defaults: the plan applies them, and must see which settings were given.
        const option = new Option(flag, (spec.kind === "boolean" && spec.default === true ? "do not " : "") + spec.doc +
            (fallback == null || spec.kind === "boolean" ? "" : ` (default: ${fallback})`));
        const parse = settingParser(spec);
        if (parse != null)
            option.argParser(parse);
        if (spec.choices != null)
            option.choices(spec.choices);
        command.addOption(option);
    }
    return command;
}

/** The decoding settings among parsed commander options (commander camel-cases the flags back to their names). */
export function decodingSettingsOf(options: Readonly<Record<string, unknown>>): DecodingSettings {
    const settings: Record<string, unknown> = {};
    for (const name of SETTING_NAMES) {
        const spec = settingSpec(name);
        // Commander sets a `--no-` flag's setting to true when it is absent: only its `false` was given.
        const given = spec.kind === "boolean" && spec.default === true ? options[name] === false : options[name] !== undefined;
        if (given)
            settings[name] = options[name];
    }
    return settings as DecodingSettings;
}
