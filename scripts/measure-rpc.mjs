#!/usr/bin/env node
// `npm run measure:rpc` (as root): the big model on two llama.cpp rpc-servers, each in a network
// namespace this script creates (iproute2: veth pairs, `tc netem` delay for a round trip of 0, 0.5
// and 2 ms), the little model in this machine's own namespace. For each round trip: our big alone and
// bild's defaults (`bild bench --big-rpc`), and llama.cpp's llama-completion and
// llama-speculative-simple (draft model here, and each of its n-gram drafters alone and beside it;
// target on the same servers): tok/s end to end and
// big-model calls per generated token. Everything it creates is removed at exit, Ctrl-C included.
// Where the kernel lacks netem (the reference VM's: "Specified qdisc kind is unknown"), a proxy in
// this namespace delays each message by half the round trip in each direction instead, on the same
// veth links (results.json says which).
// Needs: the RPC addon (npm run build:addon), llama.cpp's tools with ggml-rpc-server
// (npm run build:native), ../shared (Python pair, dev prompts). Environment: RPC_LIMIT (prompts,
// default 6), RPC_MAX_TOKENS (96), RPC_RTTS (ms, default "0 0.5 2"), RPC_OUT (bench-out/rpc),
// RPC_GRID (bild's rows: `bild bench --grid` entries, default the defaults over rpc-servers), RPC_ROUNDS (1: each
// round runs every row once; the table gives each row's median), RPC_ORACLE=1 (the bench's bounds
// and replays too, priced by the calls measured over the servers: its table.md per round), RPC_NATIVE=0
// (skip llama.cpp's rows).
import {execFileSync, fork, spawn} from "node:child_process";
import {existsSync, mkdirSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {NativeTools, DEFAULT_NATIVE_BIN_DIR} from "../dist/src/eval/nativeTools.js";
import {probeRpcServer} from "../dist/src/engine/rpc/probeRpcServer.js";
import {parsePromptLines} from "../dist/src/eval/promptFile.js";
import {NGRAM_TYPES} from "../dist/src/eval/benchRows.js";
import {DECODING_SETTINGS} from "../dist/src/decoding/settings/decodingSettings.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/", import.meta.url));
const limit = Number(process.env.RPC_LIMIT ?? "6");
const maxTokens = Number(process.env.RPC_MAX_TOKENS ?? "96");
const rtts = (process.env.RPC_RTTS ?? "0 0.5 2").split(" ").map(Number);
const rounds = Number(process.env.RPC_ROUNDS ?? "1");
// The defaults over rpc-servers, named: a grid without a key would sweep the bench's own values for it.
const {runConfidence, maxLittleTokens, drafters} = DECODING_SETTINGS;
const grid = (process.env.RPC_GRID ??
    `run-confidence=${runConfidence.rpcDefault} max-little-tokens=${maxLittleTokens.rpcDefault} rollback-threshold=0 drafters=${drafters.default}`).split(" ");
const oracle = process.env.RPC_ORACLE === "1";
const withNative = process.env.RPC_NATIVE !== "0";
const out = path.resolve(process.env.RPC_OUT ?? `${root}bench-out/rpc`);
const big = `${root}.cache/padded/py-big-x2.gguf`;
const little = `${shared}models/py-little.gguf`;
const promptFile = `${shared}eval/py-dev-prompts.jsonl`;
const serverBin = path.join(DEFAULT_NATIVE_BIN_DIR, "ggml-rpc-server");

function fail(message) {
    process.stderr.write(`measure:rpc: ${message}\n`);
    process.exit(2);
}

if (process.getuid?.() !== 0)
    fail("network namespaces need root: run it as root (sudo npm run measure:rpc)");
if (!existsSync(serverBin))
    fail(`${serverBin} is missing: npm run build:native builds it`);
if (!existsSync(promptFile))
    fail(`${promptFile} is missing: ../shared must sit beside the repository`);
if (!existsSync(big))
    execFileSync(process.execPath, [`${shared}models/tools/pad-gguf.mjs`, `${shared}models/py-big.gguf`, big, "--width", "2"], {stdio: "inherit"});

// Names unique to this run, so that a second run (or a crashed one) never collides.
const tag = String(process.pid % 100000);
const hosts = [1, 2].map((i) => ({
    namespace: `bild-rpc-${tag}-${i}`, hostSide: `brh${tag}${i}`, serverSide: `brs${tag}${i}`,
    hostAddress: `10.213.${i}.1`, serverAddress: `10.213.${i}.2`, endpoint: `10.213.${i}.2:50052`
}));
const servers = [];

const ip = (...args) => execFileSync("ip", args, {stdio: ["ignore", "ignore", "inherit"]});
const inNamespace = (host, command, ...args) => execFileSync("ip", ["netns", "exec", host.namespace, command, ...args], {stdio: ["ignore", "ignore", "inherit"]});

function setUp() {
    for (const host of hosts) {
        ip("netns", "add", host.namespace);
        ip("link", "add", host.hostSide, "type", "veth", "peer", "name", host.serverSide);
        ip("link", "set", host.serverSide, "netns", host.namespace);
        ip("addr", "add", `${host.hostAddress}/24`, "dev", host.hostSide);
        ip("link", "set", host.hostSide, "up");
        inNamespace(host, "ip", "addr", "add", `${host.serverAddress}/24`, "dev", host.serverSide);
        inNamespace(host, "ip", "link", "set", host.serverSide, "up");
        inNamespace(host, "ip", "link", "set", "lo", "up");
    }
}

const proxies = [];

/** Whether this kernel has `tc netem` (on a throwaway veth pair). */
function hasNetem() {
    const probe = `brp${tag}`;
    ip("link", "add", probe, "type", "veth", "peer", "name", `${probe}x`);
    try {
        execFileSync("tc", ["qdisc", "add", "dev", probe, "root", "netem", "delay", "1ms"], {stdio: "ignore"});
        return true;
    } catch {
        return false;
    } finally {
        ip("link", "del", probe);
    }
}

/**
 * Half the round trip on each side of each link: netem on both ends of the veth pair, else a
 * delay proxy on this end (scripts/delay-proxy.mjs). Returns the endpoints clients use.
 */
async function setDelay(rttMs, netem) {
    if (netem) {
        for (const host of hosts) {
            execFileSync("tc", ["qdisc", "replace", "dev", host.hostSide, "root", "netem", "delay", `${rttMs / 2}ms`]);
            inNamespace(host, "tc", "qdisc", "replace", "dev", host.serverSide, "root", "netem", "delay", `${rttMs / 2}ms`);
        }
        return hosts.map((host) => host.endpoint);
    }
    for (const proxy of proxies.splice(0))
        proxy.kill("SIGKILL");
    for (const host of hosts) {
        const proxy = fork(`${root}scripts/delay-proxy.mjs`, [host.hostAddress, "50053", host.serverAddress, "50052", String(rttMs / 2)], {stdio: ["ignore", "ignore", "inherit", "ipc"]});
        proxies.push(proxy);
        await new Promise((resolve, reject) => {
            proxy.once("message", resolve);
            proxy.once("exit", (code) => reject(new Error(`delay proxy exited with ${code}`)));
        });
    }
    return hosts.map((host) => `${host.hostAddress}:50053`);
}

function cleanUp() {
    for (const child of [...servers, ...proxies])
        child.kill("SIGKILL");
    for (const host of hosts)
        try {
            // Deleting the namespace deletes its end of the veth pair, and with it the other end.
            execFileSync("ip", ["netns", "del", host.namespace], {stdio: "ignore"});
        } catch {
            // Never created.
        }
}

process.on("exit", cleanUp);
for (const signal of ["SIGINT", "SIGTERM"])
    process.on(signal, () => process.exit(130));

async function startServers() {
    for (const host of hosts) {
        const server = spawn("ip", ["netns", "exec", host.namespace, serverBin, "-H", host.serverAddress, "-p", "50052", "-t", "1"], {stdio: "ignore"});
        servers.push(server);
        for (let attempt = 0; ; attempt++)
            try {
                await probeRpcServer(host.endpoint, "measure:rpc", 1000);
                break;
            } catch (error) {
                if (attempt > 40)
                    fail(`ggml-rpc-server in ${host.namespace} does not answer: ${error.message}`);
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
    }
}

/** Median ms of llama.cpp's RPC handshake (connect and hello: two round trips) to a server. */
async function handshakeMs(endpoint) {
    const times = [];
    for (let i = 0; i < 9; i++) {
        const started = performance.now();
        await probeRpcServer(endpoint, "measure:rpc");
        times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[4];
}

const prompts = parsePromptLines(readFileSync(promptFile, "utf8"), promptFile).slice(0, limit);
const nativeRows = [
    {name: "llama.cpp big alone (llama-completion)", settings: {tool: "llama-completion", flashAttention: false}},
    ...[3, 8].map((draftMax) => ({
        name: `llama.cpp speculative, draft model n ${draftMax} (llama-speculative-simple)`,
        settings: {tool: "llama-speculative-simple", flashAttention: false, draftMax}
    })),
    // Its n-gram drafters, alone and beside the draft model: fewer big calls where text repeats.
    ...NGRAM_TYPES.flatMap((type) => [
        {name: `llama.cpp speculative, ${type} (llama-speculative-simple)`, settings: {tool: "llama-speculative-simple", flashAttention: false, specType: type}},
        {
            name: `llama.cpp speculative, ${type} + draft model n 8 (llama-speculative-simple)`,
            settings: {tool: "llama-speculative-simple", flashAttention: false, specType: `${type},draft-simple`, draftMax: 8}
        }
    ])
];

mkdirSync(out, {recursive: true});
const netem = hasNetem();
setUp();
await startServers();
const results = [];
for (const rtt of rtts) {
    const endpoints = await setDelay(rtt, netem);
    const native = await NativeTools.find(DEFAULT_NATIVE_BIN_DIR, {
        big, little, bigThreads: 1, littleThreads: 1, contextSize: 512, batchSize: 512, bigRpc: endpoints
    });
    if (typeof native === "string")
        fail(native);
    const measured = await handshakeMs(endpoints[0]);
    // Rounds alternate llama.cpp's rows and ours, so that a slow spell of a shared VM falls on both.
    for (let round = 1; round <= rounds; round++) {
        process.stderr.write(`\n== round trip ${rtt} ms (handshake ${measured.toFixed(2)} ms), round ${round} of ${rounds}\n`);
        for (const row of withNative ? nativeRows : []) {
            let tokens = 0, ms = 0, calls = 0, generated = 0;
            for (const {prompt} of prompts) {
                // Timed to the budget; its counts are of all it generated (llama-speculative-simple runs a round past the budget).
                const run = await native.generate(row.settings, prompt, maxTokens);
                const all = run.generated ?? run.tokens;
                tokens += run.tokens;
                ms += run.ms;
                generated += all;
                // Each round of the speculative tool is one target call that keeps its accepted drafts
                // and adds one token; the plain tool calls the model once per token.
                calls += 1 + all - (run.accepted ?? 0);
            }
            results.push({rtt, round, handshakeMs: measured, row: row.name, tokensPerSecond: tokens / ms * 1000, bigCallsPerToken: calls / generated});
            process.stderr.write(`${row.name}: ${(tokens / ms * 1000).toFixed(1)} tok/s\n`);
        }
        const benchOut = path.join(out, `rtt-${rtt}-round-${round}`);
        execFileSync(process.execPath, [
            `${root}dist/src/cli/main.cjs`, "bench", "--big", big, "--little", little, "--big-rpc", endpoints.join(","),
            "--big-threads", "1", "--little-threads", "1", "--context-size", "512",
            "--prompts", promptFile, "--limit", String(limit), "--max-tokens", String(maxTokens), "--modes", "big", "bild", ...(oracle ? ["oracle"] : []), "--grid", ...grid, "--out", benchOut
        ], {stdio: ["ignore", "ignore", "inherit"], env: {...process.env, BILD_CPU_CHECK: "off"}});
        const bench = JSON.parse(readFileSync(path.join(benchOut, "results.json"), "utf8"));
        for (const row of bench.rows.filter((row) => !row.bound)) {
            const records = bench.records.filter((record) => record.row === row.name);
            const calls = records.reduce((sum, record) => sum + (record.stats?.bigCalls ?? 0), 0);
            const identical = records.every((record) => record.identicalToBig !== false);
            results.push({
                rtt, round, handshakeMs: measured, row: row.name === "big" ? "ours, big alone" : `bild (${row.name})`,
                tokensPerSecond: row.tokensPerSecond, bigCallsPerToken: calls / row.tokens, identicalToBig: identical
            });
            process.stderr.write(`${row.name}: ${row.tokensPerSecond.toFixed(1)} tok/s\n`);
        }
    }
}
writeFileSync(path.join(out, "results.json"), JSON.stringify({date: new Date().toISOString(), delay: netem ? "netem" : "proxy", limit, maxTokens, rounds, grid, big, little, results}, null, 2));
const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
};
const rows = [...new Map(results.map((r) => [`${r.rtt} ${r.row}`, results.filter((s) => s.rtt === r.rtt && s.row === r.row)])).values()];
// Ratios are taken within a round: rows measured minutes apart on a shared VM differ by ±10 %.
const bestSpeculative = (run) => Math.max(...results.filter((r) => r.rtt === run.rtt && r.round === run.round && r.row.includes("speculative")).map((r) => r.tokensPerSecond));
const ratios = (runs) => withNative && runs[0].row.startsWith("bild") ? runs.map((run) => `${(run.tokensPerSecond / bestSpeculative(run)).toFixed(2)}×`).join(", ") : "";
const table = ["| round trip | row | tok/s (median) | tok/s by round | ÷ llama.cpp's best speculative row, by round | big calls / token |", "| ---: | --- | ---: | --- | --- | ---: |",
    ...rows.map((runs) => `| ${runs[0].rtt} ms | ${runs[0].row} | ${median(runs.map((r) => r.tokensPerSecond)).toFixed(1)} | ${runs.map((r) => r.tokensPerSecond.toFixed(1)).join(", ")} | ${ratios(runs)} | ${median(runs.map((r) => r.bigCallsPerToken)).toFixed(2)} |`)].join("\n");
writeFileSync(path.join(out, "table.md"), table + "\n");
process.stdout.write(table + "\n");
// The servers and proxies would keep this process alive; the exit handler removes them.
process.exit(0);
