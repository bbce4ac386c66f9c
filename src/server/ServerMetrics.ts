import {Counter, Gauge, Histogram, Registry} from "prom-client";
import type {GenerationStats} from "../decoding/GenerationResult.js";
import type {DecoderPool} from "./DecoderPool.js";

/** Prometheus metrics of one server (its own registry, so several servers can live in one process). */
export class ServerMetrics {
    public readonly registry = new Registry();
    readonly #requests = new Counter({
        name: "bild_requests_total", help: "HTTP requests by endpoint and status code (\"aborted\": the client left first)",
        labelNames: ["endpoint", "status"] as const, registers: [this.registry]
    });
    readonly #promptTokens = new Counter({name: "bild_prompt_tokens_total", help: "Prompt tokens processed", registers: [this.registry]});
    readonly #generatedTokens = new Counter({name: "bild_generated_tokens_total", help: "Tokens generated", registers: [this.registry]});
    readonly #littleAccepted = new Counter({name: "bild_little_tokens_accepted_total", help: "Generated tokens drafted by the little model and accepted", registers: [this.registry]});
    readonly #fallbacks = new Counter({name: "bild_fallbacks_total", help: "Hand-overs from the little to the big model", registers: [this.registry]});
    readonly #rollbacks = new Counter({name: "bild_rollbacks_total", help: "Rollbacks of little-model tokens", registers: [this.registry]});
    readonly #bigCalls = new Counter({name: "bild_big_calls_total", help: "Big-model calls", registers: [this.registry]});
    readonly #latency = new Histogram({
        name: "bild_request_duration_seconds", help: "Time from request to last byte, by endpoint",
        labelNames: ["endpoint"] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry]
    });

    public constructor(pool: DecoderPool) {
        new Gauge({name: "bild_queue_depth", help: "Requests waiting for a decoder", registers: [this.registry], collect() {
            this.set(pool.queued);
        }});
        new Gauge({name: "bild_active_generations", help: "Generations running now", registers: [this.registry], collect() {
            this.set(pool.busy);
        }});
    }

    /** @param status - the response's status code, or `"aborted"` when the client left before it ended. */
    public recordRequest(endpoint: string, status: number | "aborted", seconds: number): void {
        this.#requests.inc({endpoint, status: String(status)});
        this.#latency.observe({endpoint}, seconds);
    }

    public recordGeneration(stats: GenerationStats): void {
        this.#promptTokens.inc(stats.promptTokens);
        this.#generatedTokens.inc(stats.generatedTokens);
        this.#littleAccepted.inc(stats.drafters.little?.accepted ?? 0);
        this.#fallbacks.inc(stats.fallbacks);
        this.#rollbacks.inc(stats.rollbacks);
        this.#bigCalls.inc(stats.bigCalls);
    }
}
