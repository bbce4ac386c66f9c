import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import type {FastifyInstance} from "fastify";
import {Decoder} from "../../src/decoding/Decoder.js";
import {seededRandom} from "../../src/decoding/sampling/RandomSource.js";
import type {ChatMessage} from "../../src/engine/ChatFormatter.js";
import {createServer} from "../../src/server/createServer.js";
import {DecoderPool} from "../../src/server/DecoderPool.js";
import {ServerMetrics} from "../../src/server/ServerMetrics.js";
import {FakeSequence, fakeCodec, fakeLogits, littleLogits} from "../support/fakeModels.js";

const REQUESTS = 600;

/** Values a careless or hostile client puts where a field's value belongs. */
const HOSTILE_VALUES: readonly unknown[] = [
    null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, "", "x", "1", "NaN", "Infinity", "-0", " ".repeat(10_000),
    "\u0000\uffff\ud800", [], [null], [1, "a", {}], {}, {"__proto__": {polluted: true}}, {constructor: {prototype: {}}},
    Array.from({length: 5000}, (_, i) => i), [[[[[[[[[[[]]]]]]]]]]], {a: {b: {c: {d: {e: {}}}}}}
];
const FIELDS = ["model", "prompt", "messages", "max_tokens", "stop", "stream", "stream_options", "temperature", "top_p", "top_k",
    "min_p", "seed", "n", "user", "bild", "logprobs", "echo", "suffix", "tools"];
const BILD_FIELDS = ["mode", "runConfidence", "fallbackThreshold", "maxLittleTokens", "strict", "rollbackThreshold", "draftTokens", "timeLimit", "speed"];

describe(`the OpenAI server under ${REQUESTS} hostile requests (scripted models, in process)`, () => {
    let app: FastifyInstance;
    before(async () => {
        const decoder = () => new Decoder({
            big: new FakeSequence((context) => fakeLogits(context, 1)),
            little: new FakeSequence((context) => littleLogits(context, 1, 2, 0.6)),
            codec: fakeCodec,
            contextSize: 256
        });
        const pool = new DecoderPool([decoder(), decoder()], 8);
        const chat = {format: (messages: readonly ChatMessage[]) => ({tokens: fakeCodec.encodePrompt(messages.map((m) => m.content).join("") || "a"), stop: []})};
        app = createServer({pool, metrics: new ServerMetrics(pool), chat, modelId: "scripted", defaults: {maxTokens: 8, timeLimit: 5}});
        await app.ready();
    });
    after(async () => {
        await app.close();
    });

    it("answers every one with a 2xx or 4xx and a JSON body, and still serves afterwards", async () => {
        const random = seededRandom(7);
        const pick = <T>(items: readonly T[]): T => items[Math.floor(random.next() * items.length)]!;
        const statuses = new Map<number, number>();
        for (let i = 0; i < REQUESTS; i++) {
            const url = pick(["/v1/completions", "/v1/chat/completions", "/v1/completions", "/v1/models", "/v1/../metrics", "/v1/completions?x=%ZZ"]);
            const body: Record<string, unknown> = url.includes("chat") ? {messages: [{role: "user", content: "ab"}]} : {prompt: "ab"};
            for (let k = 0; k < 1 + Math.floor(random.next() * 3); k++)
                body[pick(FIELDS)] = pick(HOSTILE_VALUES);
            if (random.next() < 0.3)
                body.bild = {[pick(BILD_FIELDS)]: pick(HOSTILE_VALUES)};
            let payload = JSON.stringify(body);
            if (random.next() < 0.1)
                payload = payload.slice(0, Math.floor(random.next() * payload.length));
            const response = await app.inject({
                method: pick(["POST", "POST", "POST", "GET", "PUT", "DELETE"]) as "POST", url, payload,
                headers: {"content-type": pick(["application/json", "application/json", "text/plain", "application/json; charset=latin1"])}
            });
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
            assert.ok(response.statusCode < 500, `request ${i} (${url} ${payload.slice(0, 200)}) got ${response.statusCode}: ${response.body.slice(0, 300)}`);
            if (response.statusCode >= 400)
                assert.equal(typeof response.json().error?.message, "string", `request ${i}: an OpenAI-style error body`);
        }
        assert.ok((statuses.get(200) ?? 0) > 0 && [...statuses.keys()].some((status) => status >= 400), JSON.stringify([...statuses]));
        const healthy = await app.inject({method: "POST", url: "/v1/completions", payload: {prompt: "abc"}});
        assert.equal(healthy.statusCode, 200);
        assert.equal(healthy.json().usage.completion_tokens, 8);
    });
});
