import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import type {FastifyInstance} from "fastify";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {DecodingSettings} from "../../src/decoding/settings/decodingSettings.js";
import type {ChatMessage} from "../../src/engine/ChatFormatter.js";
import {createServer, type ServerOptions} from "../../src/server/createServer.js";
import {DecoderPool} from "../../src/server/DecoderPool.js";
import {ServerMetrics} from "../../src/server/ServerMetrics.js";
import {FakeSequence, fakeCodec, fakeLogits, littleLogits} from "../support/fakeModels.js";

const decoder = () => new Decoder({
    big: new FakeSequence((context) => fakeLogits(context, 1)),
    little: new FakeSequence((context) => littleLogits(context, 1, 2, 0.6)),
    codec: fakeCodec,
    contextSize: 256
});

/** The server of `bild serve` over scripted models, answering `fastify.inject` without a socket. */
function scriptedServer(defaults: DecodingSettings, security: Pick<ServerOptions, "apiKey" | "allowedHosts" | "limits"> = {}): FastifyInstance {
    const pool = new DecoderPool([decoder(), decoder()], 4);
    // The scripted codec knows the letters a–g: a chat is its messages' letters, roles dropped.
    const chat = {format: (messages: readonly ChatMessage[]) => ({tokens: fakeCodec.encodePrompt(messages.map((m) => m.content).join("")), stop: []})};
    return createServer({pool, metrics: new ServerMetrics(pool), chat, modelId: "scripted", defaults, ...security});
}

describe("the OpenAI server on scripted models (in process)", () => {
    let app: FastifyInstance;
    before(async () => {
        app = scriptedServer({runConfidence: 0.3, maxTokens: 12});
        await app.ready();
    });
    after(async () => {
        await app.close();
    });

    const complete = (body: object) => app.inject({method: "POST", url: "/v1/completions", payload: body});

    it("reads OpenAI's fields and the bild object by the settings' names, over the server's defaults", async () => {
        const response = await complete({prompt: "abc", top_p: 1, bild: {maxLittleTokens: 4}});
        assert.equal(response.statusCode, 200, response.body);
        const body = response.json();
        assert.equal(body.usage.completion_tokens, 12, "max_tokens from the server's defaults");
        assert.equal(body.bild.mode, "bild");
        const big = (await complete({prompt: "abc", bild: {mode: "big"}})).json();
        assert.equal(body.choices[0].text, big.choices[0].text, "the default verification is lossless");
    });

    it("lets a request's rule replace the default's alternative, and ignores defaults its mode would not use", async () => {
        assert.equal((await complete({prompt: "abc", bild: {fallbackThreshold: 0.6, rollbackThreshold: 2}})).statusCode, 200);
        assert.equal((await complete({prompt: "abc", bild: {mode: "speculative", draftTokens: 3}})).statusCode, 200);
        const own = await complete({prompt: "abc", bild: {mode: "speculative", runConfidence: 0.5}});
        assert.equal(own.statusCode, 400);
        assert.match(own.json().error.message, /runConfidence applies to bild mode, not to speculative/);
    });

    it("applies OpenAI's frequency and presence penalties and llama-server's repeat_penalty / repeat_last_n, as the library does", async () => {
        const settings = {frequency_penalty: 0.5, presence_penalty: 1, repeat_penalty: 1.3, repeat_last_n: 8};
        const penalized = await complete({prompt: "abcab", ...settings});
        assert.equal(penalized.statusCode, 200, penalized.body);
        const expected = await decoder().generate("abcab", {maxTokens: 12, frequencyPenalty: 0.5, presencePenalty: 1, repeatPenalty: 1.3, repeatLastN: 8, mode: "big"});
        assert.equal(penalized.json().choices[0].text, expected.text);
        assert.notEqual(expected.text, (await complete({prompt: "abcab"})).json().choices[0].text, "the penalty changes this output");
        const refused = await complete({prompt: "ab", frequency_penalty: 2.5});
        assert.equal(refused.statusCode, 400);
        assert.match(refused.json().error.message, /frequency_penalty/);
    });

    it("applies the server's own stop strings (serve --stop) to requests that name none", async () => {
        const whole = (await complete({prompt: "cab"})).json().choices[0].text as string;
        const stop = whole.slice(5, 7);
        const stopping = scriptedServer({maxTokens: 12, stop: [stop]});
        try {
            const cut = (await stopping.inject({method: "POST", url: "/v1/completions", payload: {prompt: "cab"}})).json();
            assert.equal(cut.choices[0].text, whole.slice(0, whole.indexOf(stop)));
            assert.equal(cut.choices[0].finish_reason, "stop");
            const own = (await stopping.inject({method: "POST", url: "/v1/completions", payload: {prompt: "cab", stop: "zz"}})).json();
            assert.equal(own.choices[0].text, whole, "a request's own stop strings replace the server's");
        } finally {
            await stopping.close();
        }
    });

    it("takes a per-request time limit and reports its cut as finish reason length", async () => {
        const response = await complete({prompt: "abc", bild: {timeLimit: 1e-9}});
        assert.equal(response.statusCode, 200, response.body);
        assert.ok(response.json().usage.completion_tokens < 12);
        assert.equal(response.json().choices[0].finish_reason, "length");
        assert.equal((await complete({prompt: "abc", bild: {timeLimit: 0}})).statusCode, 400);
    });

    it("returns the big model's log-probabilities of the tokens it returns, with the most likely alternatives", async () => {
        const body = (await complete({prompt: "abc", logprobs: 2})).json();
        const {tokens, token_logprobs, top_logprobs, text_offset} = body.choices[0].logprobs;
        assert.equal(tokens.join(""), body.choices[0].text);
        assert.deepEqual(text_offset, tokens.map((_: string, i: number) => tokens.slice(0, i).join("").length));
        const context = fakeCodec.encodePrompt("abc");
        for (const [i, token] of tokens.entries()) {
            const logits = fakeLogits(context, 1);
            const logSum = Math.log(logits.reduce((sum, logit) => sum + Math.exp(logit), 0));
            const id = "abcdefg".indexOf(token);
            assert.ok(Math.abs(token_logprobs[i] - (logits[id]! - logSum)) < 1e-9, `token ${i}: ${token_logprobs[i]}`);
            assert.equal(Object.keys(top_logprobs[i]).length, 2);
            // Greedy and lossless: every token is the big model's most likely one.
            assert.ok(Math.abs(Math.max(...Object.values(top_logprobs[i]) as number[]) - token_logprobs[i]) < 1e-9);
            context.push(id);
        }
        const chat = (await app.inject({method: "POST", url: "/v1/chat/completions",
            payload: {messages: [{role: "user", content: "abc"}], logprobs: true, top_logprobs: 1}})).json();
        const content = chat.choices[0].logprobs.content;
        assert.deepEqual(content.map((entry: {logprob: number}) => entry.logprob), token_logprobs);
        assert.ok(content.every((entry: {top_logprobs: unknown[], bytes: number[]}) => entry.top_logprobs.length === 1 && entry.bytes.length === 1));
        for (const [payload, url, pattern] of [
            [{prompt: "abc", logprobs: 1, stream: true}, "/v1/completions", /logprobs are not streamed/],
            [{prompt: "abc", logprobs: 6}, "/v1/completions", /logprobs must be <= 5/],
            [{messages: [{role: "user", content: "a"}], top_logprobs: 2}, "/v1/chat/completions", /top_logprobs needs logprobs: true/]
        ] as const) {
            const refused = await app.inject({method: "POST", url, payload});
            assert.equal(refused.statusCode, 400, JSON.stringify(payload));
            assert.match(refused.json().error.message, pattern);
        }
    });

    it("caps a request's max_tokens at the server's limit, which a request may only lower", async () => {
        const capped = scriptedServer({}, {limits: {maxTokens: 5}});
        const tokens = async (body: object) =>
            (await capped.inject({method: "POST", url: "/v1/completions", payload: {prompt: "abc", ...body}})).json().usage.completion_tokens;
        assert.deepEqual([await tokens({max_tokens: 50}), await tokens({}), await tokens({max_tokens: 3})], [5, 5, 3]);
        await capped.close();
    });

    it("drops a sampling server's sampling defaults for a greedy request", async () => {
        const sampling = scriptedServer({temperature: 0.8, topP: 0.9, seed: 3, maxTokens: 6});
        const greedy = await sampling.inject({method: "POST", url: "/v1/completions", payload: {prompt: "abc", temperature: 0}});
        assert.equal(greedy.statusCode, 200, greedy.body);
        assert.equal(greedy.json().choices[0].text, (await complete({prompt: "abc", max_tokens: 6, bild: {mode: "big"}})).json().choices[0].text);
        await sampling.close();
    });

    it("rejects settings by the table's ranges and names", async () => {
        for (const [body, pattern] of [
            [{prompt: "a", bild: {fallback: 0.6}}, /must NOT have additional properties/],
            [{prompt: "a", bild: {maxLittleTokens: 0}}, /maxLittleTokens must be >= 1/],
            [{prompt: "a", bild: {mode: "speculative", draftTokens: 1_000_000}}, /draftTokens must be <= 64/],
            [{prompt: "a", top_p: 1.5}, /top_p must be <= 1/],
            [{prompt: "a", stop: ["a", "b", "c", "d", "e"]}, /stop/],
            [{prompt: "a", bild: {strict: true, rollbackThreshold: 1}}, /strict and rollbackThreshold are two verification rules/],
            [{prompt: "a", top_p: 0.5}, /topP shapes sampling, and at temperature 0 decoding is greedy/],
            [{prompt: "a", temperature: 0, seed: 4}, /seed shapes sampling/]
        ] as const) {
            const response = await complete(body);
            assert.equal(response.statusCode, 400, JSON.stringify(body));
            assert.match(response.json().error.message, pattern);
        }
    });

    it("streams the same text as it answers whole, chunk builders included", async () => {
        const whole = (await complete({prompt: "bca"})).json().choices[0].text;
        const streamed = await complete({prompt: "bca", stream: true, stream_options: {include_usage: true}});
        const events = streamed.body.split("\n\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6));
        assert.equal(events.at(-1), "[DONE]");
        const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
        assert.equal(chunks.map((chunk) => chunk.choices[0]?.text ?? "").join(""), whole);
        assert.ok(chunks.every((chunk) => chunk.id === chunks[0].id && chunk.object === "text_completion"));
        assert.equal(chunks.at(-1).usage.completion_tokens, 12);
        const chat = await app.inject({method: "POST", url: "/v1/chat/completions", payload: {messages: [{role: "user", content: "bca"}]}});
        assert.equal(chat.json().choices[0].message.content, whole);
    });
});

describe("the OpenAI server's edges: API keys, Host checks, what real clients send (scripted models, in process)", () => {
    let app: FastifyInstance;
    before(async () => {
        app = scriptedServer({maxTokens: 6}, {apiKey: "sesame", allowedHosts: ["localhost", "127.0.0.1"]});
        await app.ready();
    });
    after(async () => {
        await app.close();
    });

    const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
        app.inject({method: "POST", url, payload, headers: {host: "127.0.0.1:8080", authorization: "Bearer sesame", ...headers}});

    it("needs the API key on every route but /health, and answers only to the allowed host names", async () => {
        const bare = await app.inject({method: "GET", url: "/v1/models", headers: {host: "localhost:8080"}});
        assert.equal(bare.statusCode, 401);
        assert.equal(bare.json().error.code, "invalid_api_key");
        assert.equal((await post("/v1/completions", {prompt: "ab"}, {authorization: "Bearer wrong"})).statusCode, 401);
        assert.equal((await app.inject({method: "GET", url: "/health", headers: {host: "localhost"}})).statusCode, 200);
        assert.equal((await post("/v1/completions", {prompt: "ab"})).statusCode, 200);
        const rebound = await post("/v1/completions", {prompt: "ab"}, {host: "attacker.example:8080"});
        assert.equal(rebound.statusCode, 403);
        assert.match(rebound.json().error.message, /host "attacker.example:8080" is not served here/);
    });

    it("reads null as absent, text parts as text and developer as system; refuses tool messages and other parts clearly", async () => {
        const plain = (await post("/v1/completions", {prompt: "ab"})).json();
        const nulls = await post("/v1/completions", {prompt: "ab", temperature: null, top_p: null, stop: null, seed: null, n: null, user: null, bild: null});
        assert.equal(nulls.statusCode, 200, nulls.body);
        assert.equal(nulls.json().choices[0].text, plain.choices[0].text);
        const parts = await post("/v1/chat/completions", {messages: [{role: "developer", content: "a"}, {role: "user", content: [{type: "text", text: "b"}]}]});
        assert.equal(parts.statusCode, 200, parts.body);
        assert.equal(parts.json().choices[0].message.content, plain.choices[0].text, "the same letters as the completion's prompt");
        for (const [messages, pattern] of [
            [[{role: "tool", content: "42"}], /messages\[0\]: tool messages are not supported/],
            [[{role: "user", content: [{type: "image_url", image_url: {url: "x"}}]}], /content parts of type "image_url" are not supported/]
        ] as const) {
            const refused = await post("/v1/chat/completions", {messages});
            assert.equal(refused.statusCode, 400);
            assert.match(refused.json().error.message, pattern);
        }
        const neutral = await post("/v1/completions", {prompt: "ab", echo: false, best_of: 1, logit_bias: {}, frequency_penalty: 0,
            presence_penalty: 0, logprobs: null, suffix: null, response_format: {type: "text"}, tools: []});
        assert.equal(neutral.statusCode, 200, neutral.body);
        for (const [field, value] of [["echo", true], ["logit_bias", {"1": 5}],
            ["tools", [{type: "function"}]], ["response_format", {type: "json_object"}], ["best_of", 3], ["suffix", "}"]] as const) {
            const refused = await post("/v1/completions", {prompt: "ab", [field]: value});
            assert.equal(refused.statusCode, 400, field);
            assert.equal(refused.json().error.param, field);
            assert.match(refused.json().error.message, new RegExp(`^${field} .* is not supported by this server`));
        }
        const unknown = await post("/v1/completions", {model: "gpt-4", prompt: "ab"});
        assert.equal(unknown.statusCode, 404);
        assert.equal(unknown.json().error.code, "model_not_found");
    });
});
