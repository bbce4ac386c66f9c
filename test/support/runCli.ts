import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {fileURLToPath} from "node:url";

/** The compiled CLI entry point. */
export const CLI = fileURLToPath(new URL("../../src/cli/main.cjs", import.meta.url));

export type CliRun = {code: number | null, stdout: string, stderr: string};

/**
 * This process's environment without the CLI's check for busy cores, whose warning would depend on
 * what else the test machine runs (the test of that warning turns it back on).
 */
export const CLI_ENV: NodeJS.ProcessEnv = {...process.env, BILD_CPU_CHECK: "off"};

/** Runs the compiled `bild` CLI with `args`, feeding `stdin` (empty by default), in `env` ({@link CLI_ENV} by default). */
export function runCli(args: string[], stdin = "", env: NodeJS.ProcessEnv = CLI_ENV): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], {stdio: ["pipe", "pipe", "pipe"], env});
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => stdout += chunk);
        child.stderr.on("data", (chunk) => stderr += chunk);
        child.on("error", reject);
        child.on("close", (code) => resolve({code, stdout, stderr}));
        child.stdin.end(stdin);
    });
}

/** Standard error without the line the CLI writes when it times flash attention for a model it has not timed on this machine yet. */
export const withoutTimingLine = (stderr: string) => stderr.split("\n").filter((line) => !line.startsWith("bild: timing flash attention")).join("\n");

/** The run failed as bad input must: exit 2, one line on standard error matching `pattern`, no stack trace. */
export function assertUsageError(run: CliRun, pattern: RegExp): void {
    assert.equal(run.code, 2, `exit code 2 expected, got ${run.code}; stderr: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line expected: ${run.stderr}`);
    assert.match(lines[0]!, pattern);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
}
