import {describe, it, before, after} from "node:test";
import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import {copyFile, mkdtemp, rm} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {ROOT} from "../support/fixtures.js";

const run = promisify(execFile);
const PLATFORMS = [
    {os: "darwin", cpu: "arm64", binaries: ["@node-llama-cpp/mac-arm64-metal", "@resvg/resvg-js-darwin-arm64"]},
    {os: "darwin", cpu: "x64", binaries: ["@node-llama-cpp/mac-x64", "@resvg/resvg-js-darwin-x64"]},
    {os: "linux", cpu: "x64", binaries: ["@node-llama-cpp/linux-x64", "@resvg/resvg-js-linux-x64-gnu"]},
    {os: "linux", cpu: "arm64", binaries: ["@node-llama-cpp/linux-arm64", "@resvg/resvg-js-linux-arm64-gnu"]},
    {os: "win32", cpu: "x64", binaries: ["@node-llama-cpp/win-x64", "@resvg/resvg-js-win32-x64-msvc"]},
    {os: "win32", cpu: "arm64", binaries: ["@node-llama-cpp/win-arm64", "@resvg/resvg-js-win32-arm64-msvc"]}
] as const;

const installScript = (...args: string[]) => run(process.execPath, [`${ROOT}scripts/install-platform-binaries.mjs`, ...args]);

/** What the install script adds after `npm ci` on a platform (its dry run: nothing is installed). */
async function scriptPlan(...args: string[]): Promise<string[]> {
    return (await installScript("--dry-run", ...args)).stdout.trim().split("\n").map((line) => line.replace(/@[^@]+$/, ""));
}

describe("install plans for every platform node-llama-cpp publishes (npm ci --dry-run, offline)", () => {
    let folder: string;
    before(async () => {
        folder = await mkdtemp(path.join(tmpdir(), "bild-plan-"));
        for (const file of ["package.json", "package-lock.json", ".npmrc"])
            await copyFile(path.join(ROOT, file), path.join(folder, file));
    });
    after(() => rm(folder, {recursive: true, force: true}));

    /** The packages `npm ci` would add from the lock file for a platform. */
    async function npmPlan(os: string, cpu: string): Promise<string[]> {
        // The log level is named: under `npm run -s`/`--silent` the inherited npm_config_loglevel=silent would hide the plan.
        const {stdout} = await run("npm", ["ci", "--dry-run", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=notice", `--os=${os}`, `--cpu=${cpu}`], {cwd: folder});
        return stdout.split("\n").filter((line) => line.startsWith("add ")).map((line) => line.split(" ")[1]!);
    }

    it("npm ci plans the same platform-free packages everywhere: no other platform's binary, no GPU build", async () => {
        const plans = await Promise.all(PLATFORMS.map(({os, cpu}) => npmPlan(os, cpu)));
        for (const plan of plans) {
            assert.ok(plan.includes("node-llama-cpp"));
            assert.deepEqual(plan.filter((name) => name.startsWith("@node-llama-cpp/") || name.startsWith("@resvg/resvg-js-")), []);
            assert.deepEqual([...plan].sort(), [...plans[0]!].sort(), "every platform installs the same packages before its binaries");
        }
    });

    for (const {os, cpu, binaries} of PLATFORMS)
        it(`${os} ${cpu}: the postinstall step adds exactly its llama.cpp binary and renderer`, async () => {
            assert.deepEqual((await scriptPlan("--os", os, "--cpu", cpu, "--libc", "glibc")).sort(), [...binaries].sort());
        });

    it("GPU builds are one command away, and only where node-llama-cpp publishes them", async () => {
        assert.deepEqual(await scriptPlan("--os", "linux", "--cpu", "x64", "--libc", "glibc", "--gpu", "cuda"),
            ["@node-llama-cpp/linux-x64-cuda", "@node-llama-cpp/linux-x64-cuda-ext", "@resvg/resvg-js-linux-x64-gnu"]);
        assert.deepEqual(await scriptPlan("--os", "win32", "--cpu", "x64", "--gpu", "vulkan"), ["@node-llama-cpp/win-x64-vulkan", "@resvg/resvg-js-win32-x64-msvc"]);
        await assert.rejects(installScript("--dry-run", "--os", "darwin", "--cpu", "arm64", "--gpu", "cuda"),
            (error: {code: number, stderr: string}) => error.code === 2 && /publishes no cuda binary for darwin arm64/.test(error.stderr));
        await assert.rejects(installScript("--dry-run", "--gpu", "rocm"), (error: {code: number, stderr: string}) => error.code === 2 && /use cuda or vulkan/.test(error.stderr));
    });
});
