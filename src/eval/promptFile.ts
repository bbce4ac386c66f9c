import {readFile} from "node:fs/promises";
import {BildUsageError} from "../errors.js";

/** One line of a prompt file: `{"id", "prompt", "reference"}` (other fields are kept but unused). */
export type EvalPrompt = {
    readonly id: string,
    readonly prompt: string,
    readonly reference: string
};

/** Parses JSON Lines prompt text; `source` names the file in error messages. */
export function parsePromptLines(text: string, source: string): EvalPrompt[] {
    const prompts: EvalPrompt[] = [];
    const ids = new Set<string>();
    text.split("\n").forEach((line, index) => {
        if (line.trim() === "")
            return;
        const where = `${source} line ${index + 1}`;
        let value: unknown;
        try {
            value = JSON.parse(line);
        } catch (error) {
            throw new BildUsageError(`${where} is not valid JSON (${(error as Error).message}): each line must be one {"id", "prompt", "reference"} object`);
        }
        if (typeof value !== "object" || value == null || Array.isArray(value))
            throw new BildUsageError(`${where} is not a JSON object: each line must be one {"id", "prompt", "reference"} object`);
        const record = value as Record<string, unknown>;
        for (const field of ["id", "prompt", "reference"] as const)
            if (typeof record[field] !== "string")
                throw new BildUsageError(`${where}: "${field}" must be a string`);
        const prompt = record as EvalPrompt;
        if (prompt.prompt === "")
            throw new BildUsageError(`${where}: "prompt" is empty`);
        if (ids.has(prompt.id))
            throw new BildUsageError(`${where}: duplicate id "${prompt.id}"`);
        ids.add(prompt.id);
        prompts.push({id: prompt.id, prompt: prompt.prompt, reference: prompt.reference});
    });
    if (prompts.length === 0)
        throw new BildUsageError(`${source} holds no prompts: give a JSON Lines file of {"id", "prompt", "reference"} objects`);
    return prompts;
}

export async function readPromptFile(filePath: string): Promise<EvalPrompt[]> {
    let text: string;
    try {
        text = await readFile(filePath, "utf8");
    } catch (error) {
        throw new BildUsageError(`cannot read the prompt file ${filePath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return parsePromptLines(text, filePath);
}
