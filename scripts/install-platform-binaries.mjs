#!/usr/bin/env node
// install-platform-binaries.mjs: installs the prebuilt native packages this platform needs, at the
// versions package-lock.json pins: node-llama-cpp's llama.cpp binary (Metal on Apple silicon, the
// CPU build elsewhere) and resvg's renderer. Runs after `npm ci` / `npm install` (postinstall).
//
// Why not plain optional dependencies: npm has no way to install a dependency's optional packages
// for one platform but not another's. node-llama-cpp's Linux x64 set includes CUDA and Vulkan
// builds (~640 MB) that most machines cannot use, so .npmrc omits optional packages everywhere and
// this script adds back the one binary each platform needs. GPU builds are one command away:
//
//   node scripts/install-platform-binaries.mjs --gpu cuda     (or vulkan)
//
// Plan without installing, for any platform: --dry-run [--os darwin|linux|win32] [--cpu arm64|x64|arm] [--libc glibc|musl]
import {spawnSync} from "node:child_process";
import {existsSync, readFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : fallback;
};
const dryRun = args.includes("--dry-run");
const os = option("os", process.platform);
const cpu = option("cpu", process.arch);
const libc = option("libc", os !== "linux" ? undefined : process.report.getReport().header.glibcVersionRuntime != null ? "glibc" : "musl");
const gpu = option("gpu", undefined);
if (gpu != null && !["cuda", "vulkan"].includes(gpu)) {
    process.stderr.write(`install-platform-binaries: --gpu ${gpu}: use cuda or vulkan (Metal comes with the default install on Apple silicon)\n`);
    process.exit(2);
}

const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
const SCOPES = ["node_modules/@node-llama-cpp/", "node_modules/@resvg/resvg-js-"];
// A package's first listed cpu is its own (node-llama-cpp's arm builds also list x64, for cross-building).
const fits = (entry) => entry.os?.includes(os) && entry.cpu?.[0] === cpu && (entry.libc == null || libc == null || entry.libc.includes(libc));
const backend = (name) => /-(cuda|vulkan)/.exec(name)?.[1];
const wanted = Object.entries(lock.packages)
    .filter(([key, entry]) => SCOPES.some((scope) => key.startsWith(scope)) && fits(entry))
    .filter(([key]) => gpu == null ? backend(key) == null : backend(key) === gpu || !key.includes("@node-llama-cpp/"))
    .map(([key, entry]) => ({name: key.slice("node_modules/".length), version: entry.version, installed: existsSync(path.join(root, key, "package.json"))}));
if (!wanted.some(({name}) => name.startsWith("@node-llama-cpp/"))) {
    process.stderr.write(`install-platform-binaries: node-llama-cpp publishes no ${gpu ?? "prebuilt"} binary for ${os} ${cpu}${libc == null ? "" : ` (${libc})`}; ` +
        "build one from source: npx --no node-llama-cpp source download\n");
    process.exit(dryRun ? 2 : 0);
}
const missing = wanted.filter(({installed}) => !installed || dryRun).map(({name, version}) => `${name}@${version}`);
if (dryRun) {
    process.stdout.write(missing.join("\n") + "\n");
    process.exit(0);
}
if (missing.length === 0)
    process.exit(0);
process.stderr.write(`install-platform-binaries: ${missing.join(" ")}\n`);
// --no-save: the lock file stays the same on every platform; the versions come from it.
const npm = spawnSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", ...missing],
    {cwd: root, stdio: "inherit", shell: process.platform === "win32"});
process.exit(npm.status ?? 1);
