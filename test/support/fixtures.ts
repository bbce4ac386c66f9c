import {readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {BUNDLED_BIG_MODEL, BUNDLED_LITTLE_MODEL} from "../../src/cli/bundledModels.js";
import {parsePromptLines, type EvalPrompt} from "../../src/eval/promptFile.js";

/** The pair in the repository's models/ folder, which the default suite runs on. */
export const BUNDLED_PAIR = {big: BUNDLED_BIG_MODEL, little: BUNDLED_LITTLE_MODEL};

/** The repository root (tests run from dist/test/support/). */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Python prompts with reference continuations that ship with the tests (see test/fixtures/README.md). */
export const FIXTURE_PROMPTS = `${ROOT}test/fixtures/py-prompts.jsonl`;

export type {EvalPrompt};

/** The first `limit` prompts of a prompt file, read and checked as `bild bench` reads them. */
export const readPromptFile = (file: string, limit: number): EvalPrompt[] => parsePromptLines(readFileSync(file, "utf8"), file).slice(0, limit);

export const readFixturePrompts = (limit: number) => readPromptFile(FIXTURE_PROMPTS, limit);
