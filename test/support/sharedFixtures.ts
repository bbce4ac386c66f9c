import {readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";

// Tests run from dist/test/support/; ../shared sits beside the repository root.
const SHARED = new URL("../../../../shared/", import.meta.url);

export const sharedModel = (name: string) => fileURLToPath(new URL(`models/${name}`, SHARED));

export const PROSE_PAIR = {big: sharedModel("big.gguf"), little: sharedModel("little.gguf")};
export const CODE_PAIR = {big: sharedModel("code-big.gguf"), little: sharedModel("code-little.gguf")};

export type EvalPrompt = {id: string, prompt: string, reference: string};

export function readEvalPrompts(name: "dev-prompts" | "code-dev-prompts", limit: number): EvalPrompt[] {
    return readFileSync(fileURLToPath(new URL(`eval/${name}.jsonl`, SHARED)), "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .slice(0, limit)
        .map((line) => JSON.parse(line) as EvalPrompt);
}
