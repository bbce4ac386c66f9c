#!/usr/bin/env node
// The npm registry reachable here serves node-llama-cpp's Linux binaries only. `npm install` then
// leaves the other platforms' optional binaries out of package-lock.json, and `npm ci` rejects the
// lock file as out of sync. This adds each missing one as an optional, platform-restricted entry
// (no tarball: npm never fetches it on Linux, and `omit=optional` skips it everywhere).
// Run it after every `npm install` that rewrites package-lock.json.
import {readFileSync, writeFileSync} from "node:fs";

const LOCK = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const owner = lock.packages["node_modules/node-llama-cpp"];
const OS = {linux: "linux", mac: "darwin", win: "win32"};
const CPU = {x64: "x64", arm64: "arm64", armv7l: "arm", riscv64: "riscv64"};

let added = 0;
for (const [name, version] of Object.entries(owner.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] != null)
        continue;
    const [platform, arch] = name.split("/")[1].split("-");
    lock.packages[key] = {version, optional: true, os: [OS[platform]], cpu: [CPU[arch]]};
    added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages)
    .sort(([a], [b]) => a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)));
writeFileSync(LOCK, JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: ${added} platform binaries added`);
