import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {spawn, type ChildProcess} from "node:child_process";
import net from "node:net";
import {BUNDLED_PAIR, readFixturePrompts} from "../support/fixtures.js";
import {readFileSync} from "node:fs";
import {assertUsageError, CLI, CLI_ENV, runCli} from "../support/runCli.js";
import {startServer} from "../support/serverProcess.js";
import {getEngineLlama} from "../../src/engine/getEngineLlama.js";
import {hasRpcBackend} from "../../src/engine/rpc/ggmlBackends.js";
import {probeRpcServer} from "../../src/engine/rpc/probeRpcServer.js";
import {DECODING_SETTINGS} from "../../src/decoding/settings/decodingSettings.js";

const PAIR_ARGS = ["generate", "--big", BUNDLED_PAIR.big, "--little", BUNDLED_PAIR.little, "--threads", "1"];
await getEngineLlama("off");
const withRpc = hasRpcBackend();
// .ci/run builds the addon with the RPC backend: there the suite must run, not skip.
if (!withRpc && process.env.BILD_REQUIRE_RPC === "1")
    throw new Error("BILD_REQUIRE_RPC=1 but llama.cpp's binary has no RPC backend: run npm run build:addon");

async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const {port} = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

type RpcServer = {endpoint: string, child: ChildProcess, output(): string, stop(): Promise<void>};
const servers = new Set<RpcServer>();

/** `bild rpc-server` (llama.cpp's server code) on a free loopback port, once it answers the handshake. */
async function startRpcServer(port?: number): Promise<RpcServer> {
    port ??= await freePort();
    const endpoint = `127.0.0.1:${port}`;
    const child = spawn(process.execPath, [CLI, "rpc-server", "--port", String(port), "--threads", "1"], {stdio: ["ignore", "pipe", "pipe"], env: CLI_ENV});
    let output = "";
    child.stdout!.on("data", (chunk) => output += chunk);
    child.stderr!.on("data", (chunk) => output += chunk);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const server: RpcServer = {
        endpoint, child, output: () => output,
        stop: async () => {
            servers.delete(server);
            if (child.exitCode == null && child.signalCode == null) {
                child.kill("SIGCONT");
                child.kill("SIGKILL");
            }
            await exited;
        }
    };
    servers.add(server);
    for (let attempt = 0; ; attempt++) {
        try {
            await probeRpcServer(endpoint, "test", 1000);
            return server;
        } catch (error) {
            if (attempt >= 60 || child.exitCode != null) {
                await server.stop();
                throw new Error(`rpc-server did not start: ${String(error)} ${output}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 250));
        }
    }
}

/** Starts `bild generate`, and calls `onOutput` once, at its first standard output. */
function generateWhile(args: string[], onOutput: () => void): Promise<{code: number | null, signal: string | null, stdout: string, stderr: string, seconds: number}> {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], {stdio: ["ignore", "pipe", "pipe"], env: CLI_ENV});
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => {
            if (stdout === "")
                onOutput();
            stdout += chunk;
        });
        child.stderr.on("data", (chunk) => stderr += chunk);
        child.on("close", (code, signal) => resolve({code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000}));
    });
}

describe("the big model on llama.cpp rpc-servers (--big-rpc)", {skip: withRpc ? false : "this llama.cpp binary has no RPC backend (npm run build:addon builds one)"}, () => {
    let pair: RpcServer[];
    before(async () => {
        pair = await Promise.all([startRpcServer(), startRpcServer()]);
    });
    after(async () => {
        await Promise.all([...servers].map((server) => server.stop()));
    });

    it("lossless BiLD, speculative, lookup and n-gram drafting write the local big model's text, the big model split over two servers", async () => {
        const rpc = ["--big-rpc", pair.map((server) => server.endpoint).join(",")];
        for (const {prompt} of readFixturePrompts(2))
            for (const penalty of [[], ["--repeat-penalty", "1.2"]]) {
                const run = async (args: string[]) => {
                    const result = await runCli([...PAIR_ARGS, "--prompt", prompt, "--max-tokens", "40", "--json", ...penalty, ...args]);
                    assert.equal(result.code, 0, result.stderr);
                    return JSON.parse(result.stdout) as {tokens: number[], stats: {bigCalls: number}, engine: {bigRpc?: string[], flashAttention: {big: {by: string}}}};
                };
                const local = await run(["--mode", "big"]);
                for (const mode of [[], ["--mode", "speculative"], ["--mode", "lookup"], ["--drafters", "ngram+little"]]) {
                    const remote = await run([...rpc, ...mode]);
                    assert.deepEqual(remote.tokens, local.tokens, `${mode.join(" ") || "defaults"} ${penalty.join(" ")} over RPC ≡ local big`);
                    assert.deepEqual(remote.engine.bigRpc, pair.map((server) => server.endpoint));
                    assert.equal(remote.engine.flashAttention.big.by, "rpc");
                }
            }
        for (const server of pair)
            assert.match(server.output(), /Accepted client connection/, "each server served the big model");
    });

    it("runs the little model longer between big calls over rpc-servers unless told otherwise (maxLittleTokens' rpc default)", async () => {
        const {prompt} = readFixturePrompts(1)[0]!;
        // Run confidence 0 ends a run only at the run limit: each run but the last proposes exactly that many.
        const runLength = async (args: string[]) => {
            const result = await runCli([...PAIR_ARGS, "--prompt", prompt, "--max-tokens", "60", "--json", "--drafters", "little", "--run-confidence", "0", ...args]);
            assert.equal(result.code, 0, result.stderr);
            const {little} = (JSON.parse(result.stdout) as {stats: {drafters: {little: {runs: number, proposed: number}}}}).stats.drafters;
            return little.proposed / little.runs;
        };
        const rpc = ["--big-rpc", pair.map((server) => server.endpoint).join(",")];
        const {default: local, rpcDefault: remote} = DECODING_SETTINGS.maxLittleTokens;
        assert.ok(await runLength([]) <= local);
        const runs = await runLength(rpc);
        assert.ok(runs > local && runs <= remote, `${runs} little tokens per run over RPC`);
        assert.ok(await runLength([...rpc, "--max-little-tokens", String(local)]) <= local, "a given limit wins");
    });

    it("--little-rpc: the little model on a server of its own (the big model here, or on two others) or on one of the big model's: the local big model's text; its server's death ends the run", async () => {
        const own = await startRpcServer();
        const bigServers = pair.map((server) => server.endpoint).join(",");
        const {prompt} = readFixturePrompts(1)[0]!;
        const run = async (args: string[]) => {
            const result = await runCli([...PAIR_ARGS, "--prompt", prompt, "--max-tokens", "40", "--json", ...args]);
            assert.equal(result.code, 0, result.stderr);
            return JSON.parse(result.stdout) as {tokens: number[], engine: {bigRpc?: string[], littleRpc?: string[]}};
        };
        const local = await run(["--mode", "big"]);
        for (const [littleRpc, bigRpc] of [[own.endpoint, undefined], [own.endpoint, bigServers], [pair[1]!.endpoint, bigServers]] as const)
            for (const mode of [[], ["--mode", "speculative"]]) {
                const remote = await run(["--little-rpc", littleRpc, ...(bigRpc == null ? [] : ["--big-rpc", bigRpc]), ...mode]);
                const where = `little on ${littleRpc}, big on ${bigRpc ?? "this machine"} ${mode.join(" ") || "defaults"}`;
                assert.deepEqual(remote.tokens, local.tokens, `${where} ≡ local big`);
                assert.deepEqual(remote.engine.littleRpc, [littleRpc], where);
                assert.deepEqual(remote.engine.bigRpc, bigRpc?.split(","), where);
            }
        // The little model's calls go to its server: with it gone the generation ends.
        const cut = await generateWhile([...PAIR_ARGS, "--prompt", "def parse(text):", "--max-tokens", "480", "--little-rpc", own.endpoint],
            () => own.child.kill("SIGKILL"));
        await own.stop();
        assert.equal(cut.code, 1, `exit 1 expected: ${cut.signal} ${cut.stderr}`);
        assert.match(cut.stderr.trim().split("\n").at(-1)!, /^bild: error: an rpc-server failed mid-call/);
    });

    it("a server that cannot be reached, or accepts and never answers: exit 2 with one line, within seconds", async () => {
        const closed = await freePort();
        let started = Date.now();
        assertUsageError(await runCli([...PAIR_ARGS, "--prompt", "x", "--big-rpc", `${pair[0]!.endpoint},127.0.0.1:${closed}`]),
            new RegExp(`^bild: error: rpc-server 127\\.0\\.0\\.1:${closed}: cannot connect \\(ECONNREFUSED\\); start llama\\.cpp's rpc-server there`));
        assert.ok(Date.now() - started < 15_000);
        // The little model's servers are checked before the big model loads.
        assertUsageError(await runCli([...PAIR_ARGS, "--prompt", "x", "--little-rpc", `127.0.0.1:${closed}`]),
            new RegExp(`^bild: error: rpc-server 127\\.0\\.0\\.1:${closed}: cannot connect \\(ECONNREFUSED\\)`));
        const silent = net.createServer(() => {});
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        try {
            started = Date.now();
            assertUsageError(await runCli([...PAIR_ARGS, "--prompt", "x", "--big-rpc", `127.0.0.1:${(silent.address() as net.AddressInfo).port}`]),
                /no answer to llama\.cpp's RPC handshake within 3 s/);
            assert.ok(Date.now() - started < 15_000);
        } finally {
            silent.close();
        }
        assertUsageError(await runCli([...PAIR_ARGS, "--prompt", "x", "--big-rpc", "127.0.0.1"]), /^error: option '--big-rpc|--big-rpc 127\.0\.0\.1: expected host:port/);
    });

    it("a server killed mid-generation ends it with exit 1 and one line; what was written stays", async () => {
        const doomed = await startRpcServer();
        const run = await generateWhile([...PAIR_ARGS, "--prompt", "def parse(text):", "--max-tokens", "480", "--big-rpc", doomed.endpoint],
            () => doomed.child.kill("SIGKILL"));
        await doomed.stop();
        assert.equal(run.code, 1, `exit 1 expected: ${run.signal} ${run.stderr}`);
        assert.ok(run.stdout.length > 0);
        assert.match(run.stderr.trim().split("\n").at(-1)!, /^bild: error: an rpc-server failed mid-call \(llama\.cpp: .+\); restart it/);
        assert.doesNotMatch(run.stderr, /\n\s+at |backtrace/i);
    });

    it("a server that stalls mid-generation: exit 1 a few seconds after --time-limit, no hang", async () => {
        const stalled = await startRpcServer();
        try {
            const run = await generateWhile([...PAIR_ARGS, "--prompt", "def parse(text):", "--max-tokens", "480", "--time-limit", "1", "--big-rpc", stalled.endpoint],
                () => stalled.child.kill("SIGSTOP"));
            assert.equal(run.code, 1, run.stderr);
            assert.match(run.stderr, /a call to an rpc-server has not returned 5 s after --time-limit 1/);
            assert.ok(run.seconds < 30, `ended after ${run.seconds} s`);
        } finally {
            await stalled.stop();
        }
    });
});

/** Reads a response's stream: `onFirst` runs at its first chunk; the text of it all. */
async function readStream(response: Response, onFirst: () => void): Promise<string> {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of response.body! as unknown as AsyncIterable<Uint8Array>) {
        if (text === "")
            onFirst();
        text += decoder.decode(chunk, {stream: true});
    }
    return text;
}

/** Polls `url` until `check` accepts its answer (status, JSON body), for at most `seconds`. */
async function pollUntil(url: string, check: (status: number, body: {status?: string, error?: string}) => boolean, seconds: number): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    let last = "";
    while (Date.now() < deadline) {
        const response = await fetch(url);
        const body = await response.json() as {status?: string, error?: string};
        last = `${response.status} ${JSON.stringify(body)}`;
        if (check(response.status, body))
            return;
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail(`${url} never answered as expected within ${seconds} s; last: ${last}`);
}

describe("bild serve --big-rpc", {skip: withRpc ? false : "this llama.cpp binary has no RPC backend (npm run build:addon builds one)"}, () => {
    after(async () => {
        await Promise.all([...servers].map((server) => server.stop()));
    });

    it("a server killed or stalled mid-request fails that request; the server reports itself unavailable while one is down and answers again once it is back", async () => {
        const [doomed, stalling] = [await startRpcServer(), await startRpcServer()];
        const serve = await startServer(["--big", BUNDLED_PAIR.big, "--little", BUNDLED_PAIR.little, "--threads", "1", "--time-limit", "3",
            "--big-rpc", `${doomed.endpoint},${stalling.endpoint}`]);
        const engines = () => {
            try {
                return readFileSync(`/proc/${serve.child.pid}/task/${serve.child.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
            } catch {
                return [];
            }
        };
        const seen = new Set<number>(engines());
        const complete = (body: object) => fetch(`${serve.url}/v1/completions`, {
            method: "POST", headers: {"content-type": "application/json"},
            body: JSON.stringify({prompt: "def parse(text):", temperature: 0, ...body})
        });
        try {
            const first = await complete({max_tokens: 24});
            assert.equal(first.status, 200);
            const text = (await first.json() as {choices: {text: string}[]}).choices[0]!.text;
            // A request that leaves the run limit out gets the rpc-servers' default (run confidence 0: only the limit ends a run).
            const long = await complete({max_tokens: 60, bild: {drafters: "little", runConfidence: 0}});
            const {little} = (await long.json() as {bild: {drafters: {little: {runs: number, proposed: number}}}}).bild.drafters;
            assert.ok(little.proposed / little.runs > DECODING_SETTINGS.maxLittleTokens.default, JSON.stringify(little));

            // A server dies inside a streamed generation: the stream ends with an error event that says so.
            const cut = await readStream(await complete({max_tokens: 400, stream: true}), () => doomed.child.kill("SIGKILL"));
            const events = cut.split("\n\n").filter((event) => event.startsWith("data: "));
            assert.ok(events.length >= 2, cut);
            const error = JSON.parse(events.at(-1)!.slice("data: ".length)) as {error: {message: string, code: string}};
            assert.equal(error.error.code, "engine_failed");
            assert.match(error.error.message, /an rpc-server failed mid-call/);
            await doomed.stop();

            // While it stays down the engine cannot start: 503 with the reason, on /health and on requests.
            await pollUntil(`${serve.url}/health`, (status, body) => status === 503 && body.status === "unavailable" && /cannot connect/.test(body.error ?? ""), 30);
            const refused = await complete({max_tokens: 4});
            assert.equal(refused.status, 503);
            assert.equal((await refused.json() as {error: {code: string}}).error.code, "engine_unavailable");
            assert.ok(refused.headers.get("retry-after") != null);

            // Back on its port: the server answers again, with the same text.
            await startRpcServer(Number(doomed.endpoint.split(":")[1]));
            await pollUntil(`${serve.url}/health`, (status, body) => status === 200 && body.status === "ok", 60);
            const again = await complete({max_tokens: 24});
            assert.equal(again.status, 200);
            assert.equal((await again.json() as {choices: {text: string}[]}).choices[0]!.text, text);
            for (const pid of engines())
                seen.add(pid);

            // A server that stops answering: the stream ends with an error event a few seconds past the time limit, no hang.
            const started = Date.now();
            const stalled = await readStream(await complete({max_tokens: 400, stream: true}), () => stalling.child.kill("SIGSTOP"));
            assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
            const stallError = JSON.parse(stalled.trim().split("\n\n").at(-1)!.slice("data: ".length)) as {error: {message: string, code: string}};
            assert.equal(stallError.error.code, "engine_failed");
            assert.match(stallError.error.message, /has not returned 5 s after the time limit \(3 s\)/);
        } finally {
            for (const pid of engines())
                seen.add(pid);
            await serve.stop();
            await Promise.all([...servers].map((server) => server.stop()));
        }
        assert.ok(seen.size >= 2, "a fresh engine process after the failure");
        for (const pid of seen)
            assert.throws(() => process.kill(pid, 0), "no engine process left behind");
    });
});

describe("--big-rpc without the RPC backend", {skip: withRpc ? "this binary has the RPC backend" : false}, () => {
    it("says which command builds a binary that has it", async () => {
        assertUsageError(await runCli([...PAIR_ARGS, "--prompt", "x", "--big-rpc", "127.0.0.1:50052"]),
            /this llama\.cpp binary has no RPC backend .*npm run build:addon/);
    });
});
