import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import autocannon from "autocannon";
import {connect, createServer as createNetServer, type AddressInfo, type Socket} from "node:net";
import {BUNDLED_PAIR, readFixturePrompts} from "../support/fixtures.js";
import {startServer, type ServerProcess} from "../support/serverProcess.js";
import {runCli} from "../support/runCli.js";

const MODEL = "py-big";
const PAIR_ARGS = ["--big", BUNDLED_PAIR.big, "--little", BUNDLED_PAIR.little];
const PROMPTS = readFixturePrompts(8).map((prompt) => prompt.prompt.slice(-300));

type BildStats = {fallbacks: number, rollbacks: number, acceptance: number, little_accepted: number, big_calls: number, mode: string};

async function postJson(url: string, body: unknown, raw?: string) {
    const response = await fetch(url, {method: "POST", headers: {"content-type": "application/json"}, body: raw ?? JSON.stringify(body)});
    return {status: response.status, headers: response.headers, json: await response.json() as {error?: {message: string, type: string}}};
}

async function waitUntilIdle(url: string): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
        const health = await (await fetch(`${url}/health`)).json() as {busy: number};
        if (health.busy === 0)
            return;
        assert.ok(Date.now() < deadline, "the server kept a decoder busy after its client left");
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

describe("bild serve (OpenAI API, bundled Python pair)", () => {
    let server: ServerProcess;
    let client: OpenAI;
    before(async () => {
        server = await startServer([...PAIR_ARGS, "--parallel", "2", "--queue", "16"]);
        client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0});
    });
    after(async () => {
        await server.stop();
    });

    it("lists its model and reports health", async () => {
        const models = await client.models.list();
        assert.deepEqual(models.data.map((model) => model.id), [MODEL]);
        assert.equal((await (await fetch(`${server.url}/health`)).json() as {status: string}).status, "ok");
    });

    it("completes, with usage and this request's bild stats; rollback 0 equals mode big", async () => {
        const completion = await client.completions.create({model: MODEL, prompt: PROMPTS[0]!, max_tokens: 24, temperature: 0,
            // @ts-expect-error bild's extra request field
            bild: {rollbackThreshold: 0}});
        assert.equal(completion.object, "text_completion");
        assert.ok(completion.choices[0]!.text.length > 0);
        assert.equal(completion.usage!.completion_tokens, 24);
        const stats = (completion as unknown as {bild: BildStats}).bild;
        assert.equal(stats.mode, "bild");
        assert.equal(typeof stats.fallbacks, "number");
        assert.ok(stats.acceptance >= 0 && stats.acceptance <= 1);

        const big = await client.completions.create({model: MODEL, prompt: PROMPTS[0]!, max_tokens: 24,
            // @ts-expect-error bild's extra request field
            bild: {mode: "big"}});
        assert.equal(completion.choices[0]!.text, big.choices[0]!.text);
        const defaults = await client.completions.create({model: MODEL, prompt: PROMPTS[0]!, max_tokens: 24});
        assert.equal(defaults.choices[0]!.text, big.choices[0]!.text, "the server's defaults are lossless too");
    });

    it("shares one n-gram memory across requests: a repeated request is drafted from the first, its text unchanged", async () => {
        type Drafted = {bild: {drafters: Record<string, {accepted: number}>}};
        const ask = async (mode: string) => await client.completions.create({model: MODEL, prompt: PROMPTS[1]!, max_tokens: 48, temperature: 0,
            // @ts-expect-error bild's extra request field
            bild: mode === "big" ? {mode} : {drafters: "ngram+little"}}) as unknown as Drafted & {choices: {text: string}[]};
        const [first, second, big] = [await ask("bild"), await ask("bild"), await ask("big")];
        assert.equal(first.choices[0]!.text, big.choices[0]!.text);
        assert.equal(second.choices[0]!.text, big.choices[0]!.text);
        const ngram = (response: Drafted) => response.bild.drafters.ngram?.accepted ?? 0;
        assert.ok(ngram(second) > ngram(first), `n-gram tokens kept: ${ngram(second)} vs ${ngram(first)}`);
    });

    it("reads special tokens written in a string prompt, unless bild.specialTokens is false", async () => {
        const prompt = "<|endoftext|>def add(a, b):";
        const usage = async (bild: object) => (await client.completions.create({model: MODEL, prompt, max_tokens: 4,
            // @ts-expect-error bild's extra request field
            bild})).usage!.prompt_tokens;
        const parsed = await usage({});
        const plain = await usage({specialTokens: false});
        assert.ok(plain > parsed + 1, `"<|endoftext|>" is one token when parsed (${parsed} prompt tokens) and several as text (${plain})`);
    });

    it("returns the big model's log-probabilities through the official client (completions and chat)", async () => {
        const completion = await client.completions.create({model: MODEL, prompt: PROMPTS[1]!, max_tokens: 16, logprobs: 3});
        const {tokens, token_logprobs, top_logprobs} = completion.choices[0]!.logprobs!;
        assert.equal(tokens!.join(""), completion.choices[0]!.text);
        for (const [i, logprob] of token_logprobs!.entries()) {
            const alternatives = Object.values(top_logprobs![i]!);
            assert.equal(alternatives.length, 3);
            // Lossless greedy output: each token is the big model's most likely one (up to batch rounding).
            assert.ok(logprob <= 0 && Math.abs(Math.max(...alternatives) - logprob) < 1e-3, `token ${i}: ${logprob} vs ${alternatives}`);
        }
        const chat = await client.chat.completions.create({
            model: MODEL, messages: [{role: "user", content: PROMPTS[1]!}], max_tokens: 8, logprobs: true, top_logprobs: 2
        });
        const content = chat.choices[0]!.logprobs!.content!;
        assert.equal(content.map((entry) => entry.token).join(""), chat.choices[0]!.message.content);
        assert.ok(content.every((entry) => entry.top_logprobs.length === 2 && entry.logprob <= 0));
    });

    it("samples: top_p / top_k / min_p / seed; the same seed repeats the output, strict bild too", async () => {
        const sample = (seed: number, bild: object) => client.completions.create({
            model: MODEL, prompt: PROMPTS[2]!, max_tokens: 24, temperature: 0.9, top_p: 0.95, seed,
            // @ts-expect-error extra request fields (vLLM's top_k / min_p, bild's settings)
            top_k: 40, min_p: 0.02, bild
        });
        for (const bild of [{strict: true}, {mode: "speculative"}, {mode: "big"}]) {
            const first = await sample(5, bild);
            assert.equal((await sample(5, bild)).choices[0]!.text, first.choices[0]!.text, JSON.stringify(bild));
            assert.equal((first as unknown as {bild: {seed: number}}).bild.seed, 5);
            assert.notEqual((await sample(6, bild)).choices[0]!.text, first.choices[0]!.text, JSON.stringify(bild));
        }
    });

    it("chats with the plain template, and streams exactly the non-streamed text", async () => {
        const messages = [{role: "system" as const, content: "You write Python."}, {role: "user" as const, content: PROMPTS[1]!}];
        const chat = await client.chat.completions.create({model: MODEL, messages, max_tokens: 20});
        assert.equal(chat.object, "chat.completion");
        assert.equal(chat.choices[0]!.message.role, "assistant");
        let streamed = "";
        let finish: string | null = null;
        for await (const chunk of await client.chat.completions.create({model: MODEL, messages, max_tokens: 20, stream: true})) {
            streamed += chunk.choices[0]?.delta.content ?? "";
            finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        assert.equal(streamed, chat.choices[0]!.message.content);
        assert.equal(finish, chat.choices[0]!.finish_reason);

        const full = await client.completions.create({model: MODEL, prompt: PROMPTS[2]!, max_tokens: 40});
        let text = "";
        for await (const chunk of await client.completions.create({model: MODEL, prompt: PROMPTS[2]!, max_tokens: 40, stream: true}))
            text += chunk.choices[0]?.text ?? "";
        assert.equal(text, full.choices[0]!.text);
    });

    it("cuts at stop strings, streamed or not, without leaking part of one", async () => {
        const full = (await client.completions.create({model: MODEL, prompt: PROMPTS[3]!, max_tokens: 48})).choices[0]!.text;
        const stop = full.includes("\n") ? "\n" : full.slice(5, 7);
        const expected = full.slice(0, full.indexOf(stop));
        const cut = await client.completions.create({model: MODEL, prompt: PROMPTS[3]!, max_tokens: 48, stop: [stop]});
        assert.equal(cut.choices[0]!.text, expected);
        assert.equal(cut.choices[0]!.finish_reason, "stop");
        let streamed = "";
        for await (const chunk of await client.completions.create({model: MODEL, prompt: PROMPTS[3]!, max_tokens: 48, stop, stream: true}))
            streamed += chunk.choices[0]?.text ?? "";
        assert.equal(streamed, expected);
    });

    it("serves 8 simultaneous requests with --parallel 2, each as if alone", async () => {
        const request = (prompt: string) => client.completions.create({model: MODEL, prompt, max_tokens: 32});
        const alone: string[] = [];
        for (const prompt of PROMPTS)
            alone.push((await request(prompt)).choices[0]!.text);
        const together = await Promise.all(PROMPTS.map(request));
        assert.deepEqual(together.map((completion) => completion.choices[0]!.text), alone);
    });

    it("answers bad input with a 400 OpenAI error and keeps serving", async () => {
        const url = `${server.url}/v1/completions`;
        const cases: [unknown, RegExp, string?][] = [
            [undefined, /JSON/, "{\"prompt\": "],
            [{prompt: "x", max_tokens: "5"}, /max_tokens must be integer/],
            [{prompt: "x", max_tokens: -3}, /max_tokens must be >= 1/],
            [{prompt: 42}, /prompt/],
            [{prompt: "x", temperature: 2.5}, /temperature must be <= 2/],
            [{prompt: "x", top_p: 0}, /top_p must be > 0/],
            [{prompt: "x", seed: -4}, /seed must be >= 0/],
            [{prompt: "x", temperature: 1, bild: {mode: "big", strict: true}}, /strict applies to bild mode, not to big/],
            [{prompt: "let a = 1;\n".repeat(400), max_tokens: 8}, /exceed the context size/],
            [{prompt: "x", bild: {rollbackThreshold: -1}}, /rollbackThreshold must be >= 0/],
            [{prompt: "x", bild: {speed: 3}}, /additional properties/]
        ];
        for (const [body, pattern, raw] of cases) {
            const response = await postJson(url, body, raw);
            assert.equal(response.status, 400, JSON.stringify(body ?? raw));
            assert.equal(response.json.error?.type, "invalid_request_error");
            assert.match(response.json.error!.message, pattern);
        }
        const chat = await postJson(`${server.url}/v1/chat/completions`, {messages: [{role: "robot", content: "hi"}]});
        assert.equal(chat.status, 400);
        const ok = await client.completions.create({model: MODEL, prompt: "x", max_tokens: 4});
        assert.equal(ok.usage!.completion_tokens, 4);
    });

    it("closes the socket after [DONE] when the client sent Connection: close", {timeout: 60_000}, async () => {
        const {hostname, port} = new URL(server.url);
        const body = JSON.stringify({prompt: PROMPTS[3]!, max_tokens: 8, stream: true});
        const socket = connect(Number(port), hostname);
        let received = "";
        socket.on("data", (chunk) => received += chunk);
        const closed = new Promise((resolve) => socket.once("end", resolve));
        socket.write(`POST /v1/completions HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
            `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        await closed;
        assert.match(received, /data: \[DONE\]/);
        assert.match(received, /^connection: close/im);
        socket.destroy();
    });

    it("exposes Prometheus metrics", async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        for (const name of ["bild_requests_total", "bild_generated_tokens_total", "bild_fallbacks_total", "bild_rollbacks_total",
            "bild_big_calls_total", "bild_queue_depth", "bild_request_duration_seconds_bucket"])
            assert.match(text, new RegExp(`^${name}`, "m"), name);
        assert.match(text, /bild_requests_total\{endpoint="\/v1\/completions",status="400"\} \d+/);
    });

    it("survives a bounded load run with zero errors and no memory growth", async () => {
        const run = (duration: number) => new Promise<{result: autocannon.Result, latencies: number[]}>((resolve, reject) => {
            const latencies: number[] = [];
            const instance = autocannon({
                url: `${server.url}/v1/completions`, method: "POST", connections: 4, duration,
                headers: {"content-type": "application/json"},
                body: JSON.stringify({model: MODEL, prompt: PROMPTS[4]!, max_tokens: 8})
            }, (error, result) => error == null ? resolve({result, latencies}) : reject(error));
            instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
        });
        await run(2);
        const before = await server.rssBytes();
        const {result, latencies} = await run(10);
        const afterRun = await server.rssBytes();
        assert.equal(result.errors, 0);
        assert.equal(result.non2xx, 0);
        assert.ok(latencies.length > 0);
        assert.ok(afterRun < before * 1.1 + 16 * 2 ** 20, `RSS grew from ${before} to ${afterRun} bytes`);
        latencies.sort((a, b) => a - b);
        const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
        process.stderr.write(`load run (10 s, 4 connections, --parallel 2, 8 tokens per request): ` +
            `${(latencies.length / 10).toFixed(1)} req/s, latency p50 ${percentile(0.5).toFixed(0)} ms, p95 ${percentile(0.95).toFixed(0)} ms, ` +
            `${latencies.length} requests, RSS ${(before / 2 ** 20).toFixed(0)} → ${(afterRun / 2 ** 20).toFixed(0)} MiB\n`);
    });
});

describe("bild serve admission (bundled Python pair, --parallel 1)", () => {
    let server: ServerProcess;
    before(async () => {
        server = await startServer([...PAIR_ARGS, "--parallel", "1", "--queue", "1"]);
    });
    after(async () => {
        await server.stop();
    });

    it("answers 429 with Retry-After when the queue is full", async () => {
        const body = {prompt: PROMPTS[5]!, max_tokens: 120};
        const responses = await Promise.all([1, 2, 3, 4].map(() => postJson(`${server.url}/v1/completions`, body)));
        const statuses = responses.map((response) => response.status).sort();
        assert.deepEqual(statuses, [200, 200, 429, 429]);
        const limited = responses.find((response) => response.status === 429)!;
        assert.equal(limited.headers.get("retry-after"), "1");
        assert.equal(limited.json.error?.type, "rate_limit_error");
    });

    it("frees the slot of a stream whose client disconnects", async () => {
        const controller = new AbortController();
        const response = await fetch(`${server.url}/v1/completions`, {
            method: "POST", headers: {"content-type": "application/json"}, signal: controller.signal,
            body: JSON.stringify({prompt: PROMPTS[6]!, max_tokens: 200, stream: true})
        });
        const reader = response.body!.getReader();
        await reader.read();
        controller.abort();
        await waitUntilIdle(server.url);
        const next = await postJson(`${server.url}/v1/completions`, {prompt: "x", max_tokens: 4});
        assert.equal(next.status, 200);
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        assert.match(metrics, /bild_requests_total\{endpoint="\/v1\/completions",status="aborted"\} [1-9]/, "the disconnect is counted");
    });
});

describe("bild serve with a large context (bundled Python pair, --context-size 32768)", () => {
    it("tokenizes megabyte prompts off the event loop: /health answers while four are tokenized", {timeout: 120_000}, async () => {
        // A context this large lets a ~0.9 MB prompt past the cheap length bound, to the tokenizer.
        const server = await startServer([...PAIR_ARGS, "--context-size", "32768"]);
        try {
            const huge = "def f(x):\n    return x\n".repeat(40_000);
            const order: string[] = [];
            const big = Array.from({length: 4}, async () => {
                const response = await postJson(`${server.url}/v1/completions`, {prompt: huge, max_tokens: 4});
                order.push("prompt");
                return response;
            });
            await new Promise((resolve) => setTimeout(resolve, 100));
            const health = await fetch(`${server.url}/health`);
            order.push("health");
            assert.equal(health.status, 200);
            for (const response of await Promise.all(big)) {
                assert.equal(response.status, 400);
                assert.match(response.json.error!.message, /the prompt \(\d+ tokens\) plus max tokens \(4\) exceed the context size \(32768\)/);
            }
            assert.equal(order[0], "health", `answered in the order ${order.join(", ")}`);
        } finally {
            await server.stop();
        }
    });
});

describe("bild serve shutdown (bundled Python pair)", () => {
    /** A client that sends headers and half a body, then stalls. */
    async function stallingClient(url: string): Promise<Socket> {
        const {hostname, port} = new URL(url);
        const socket = connect(Number(port), hostname);
        await new Promise((resolve) => socket.once("connect", resolve));
        socket.on("error", () => {});
        socket.write(`POST /v1/completions HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"pro`);
        return socket;
    }
    const exitOf = (child: ServerProcess["child"]) => new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    it("on SIGTERM stops even with a client stalled mid-body, and exits 0", {timeout: 120_000}, async () => {
        const server = await startServer([...PAIR_ARGS]);
        const socket = await stallingClient(server.url);
        const exit = exitOf(server.child);
        server.child.kill("SIGTERM");
        assert.equal(await exit, 0);
        socket.destroy();
    });

    it("SIGTERM while a stream runs past the grace: the stream ends with an error event, exit code 1, never a crash (5 tries)", {timeout: 300_000}, async () => {
        const request = {prompt: "def f(x):", max_tokens: 400, temperature: 2, top_k: 0, stream: true,
            bild: {maxLittleTokens: 64, fallbackThreshold: 0, rollbackThreshold: 0, timeLimit: 25}};
        for (let attempt = 0; attempt < 5; attempt++) {
            const server = await startServer([...PAIR_ARGS, "--shutdown-grace", "0.05"]);
            const response = await fetch(`${server.url}/v1/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(request)});
            const reader = response.body!.getReader();
            let events = new TextDecoder().decode((await reader.read()).value);
            const exit = new Promise<{code: number | null, signal: NodeJS.Signals | null}>((resolve) =>
                server.child.once("exit", (code, signal) => resolve({code, signal})));
            server.child.kill("SIGTERM");
            for (let chunk = await reader.read(); chunk.done !== true; chunk = await reader.read())
                events += new TextDecoder().decode(chunk.value);
            assert.deepEqual(await exit, {code: 1, signal: null}, `attempt ${attempt}: ${server.stderr()}`);
            assert.match(events, /data: \{"error":\{"message":"the server is shutting down: this generation was stopped/);
            assert.doesNotMatch(events, /\[DONE\]/);
            assert.match(server.stderr(), /1 request\(s\) were cut short by the shutdown/);
        }
    });

    it("reports startup errors in one line with exit code 2", {timeout: 120_000}, async () => {
        const taken = createNetServer();
        await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
        const {port} = taken.address() as AddressInfo;
        try {
            for (const [args, pattern] of [
                [["--port", String(port)], new RegExp(`^bild: error: 127\\.0\\.0\\.1:${port} is already in use: stop what listens there, or pick another --port`)],
                [["--port", "70000"], /--port <n>.*'70000' is invalid. expected a port from 0 to 65535/],
                [["--parallel", "65"], /--parallel <n>.*'65' is invalid. expected an integer from 1 to 64/],
                // An address of the documentation range (TEST-NET-3): binding to it fails, nothing is sent.
                [["--host", "203.0.113.5", "--port", "0"], /^bild: error: cannot listen on host "203\.0\.113\.5": it is not an address of this machine/]
            ] as const) {
                const run = await runCli(["serve", ...PAIR_ARGS, "--host", "127.0.0.1", ...args]);
                assert.equal(run.code, 2, run.stderr);
                assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
                assert.match(run.stderr.trim(), pattern);
            }
        } finally {
            taken.close();
        }
    });

    it("warns when it listens beyond loopback without an API key, and not with one", {timeout: 120_000}, async () => {
        // Bound to every interface for a moment; the test talks to it on loopback only.
        const open = await startServer([...PAIR_ARGS, "--host", "0.0.0.0"]);
        await open.stop();
        assert.match(open.stderr(), /warning: listening on 0\.0\.0\.0 without an API key: anyone who can reach it can use it/);
        const keyed = await startServer([...PAIR_ARGS, "--host", "0.0.0.0", "--api-key", "sesame"]);
        await keyed.stop();
        assert.doesNotMatch(keyed.stderr(), /warning/);
    });

    it("exits at once on a second signal, while a generation still runs", {timeout: 120_000}, async () => {
        const server = await startServer([...PAIR_ARGS]);
        const controller = new AbortController();
        const response = await fetch(`${server.url}/v1/completions`, {
            method: "POST", headers: {"content-type": "application/json"}, signal: controller.signal,
            body: JSON.stringify({prompt: PROMPTS[6]!, max_tokens: 400, stream: true, bild: {mode: "big"}})
        });
        const reader = response.body!.getReader();
        await reader.read();
        const exit = exitOf(server.child);
        // Two signals sent at once may arrive as one: the second goes once the first is taken.
        const shuttingDown = new Promise((resolve) => server.child.stderr!.on("data", (chunk: Buffer) => {
            if (chunk.toString().includes("shutting down"))
                resolve(undefined);
        }));
        server.child.kill("SIGTERM");
        await shuttingDown;
        server.child.kill("SIGTERM");
        assert.equal(await exit, 1);
        controller.abort();
    });
});
