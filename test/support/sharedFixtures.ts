import {existsSync} from "node:fs";
import {ROOT, readPromptFile, type EvalPrompt} from "./fixtures.js";

// The extended suites use the project's ../shared folder (more model pairs, more prompts). Someone
// who cloned the repository alone has none, and those suites skip; CI must have it, so there a
// missing folder fails the run instead of passing it by skipping.
const SHARED = `${ROOT}../shared/`;

/** `describe` options for a suite that needs ../shared: skip without it, or throw under `CI=true`. */
export function sharedSuite(): {skip?: string} {
    if (existsSync(`${SHARED}models`) && existsSync(`${SHARED}eval`))
        return {};
    if (process.env.CI === "true")
        throw new Error(`${SHARED} is missing: the extended test suites need it under CI=true (place the project's shared folder beside the checkout)`);
    return {skip: `${SHARED} not found beside the checkout: extended suite skipped`};
}

export const sharedModel = (name: string) => `${SHARED}models/${name}`;

export const PROSE_PAIR = {big: sharedModel("big.gguf"), little: sharedModel("little.gguf")};
export const CODE_PAIR = {big: sharedModel("code-big.gguf"), little: sharedModel("code-little.gguf")};

export const readSharedPrompts = (name: "dev-prompts" | "code-dev-prompts" | "py-dev-prompts", limit: number): EvalPrompt[] =>
    readPromptFile(`${SHARED}eval/${name}.jsonl`, limit);
