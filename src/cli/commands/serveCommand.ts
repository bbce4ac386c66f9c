import {Command, InvalidArgumentError, Option} from "commander";
import {rm} from "node:fs/promises";
import {bigPlacementOf, Decoder} from "../../decoding/Decoder.js";
import {NgramMemory} from "../../decoding/drafters/NgramMemory.js";
import {BackgroundTokenizer} from "../../engine/BackgroundTokenizer.js";
import {ChatFormatter} from "../../engine/ChatFormatter.js";
import {createServer} from "../../server/createServer.js";
import {hostOf} from "../../server/requestGuards.js";
import {exitImmediately} from "../../engine/rpc/ggmlBackends.js";
import {WORKER_READY} from "../../server/EngineWorker.js";
import {DecoderPool} from "../../server/DecoderPool.js";
import {ServerMetrics} from "../../server/ServerMetrics.js";
import {addDecodingOptions, decodingSettingsOf} from "../decodingOptions.js";
import {checkSettings, modeOf} from "../../decoding/settings/decodingSettings.js";
import {addModelOptions, loadPairFromOptions, RPC_STALL_GRACE_SECONDS, rpcStalled, usesRpc, type ModelCliOptions} from "../modelOptions.js";
import {announceServer, listenError, LOOPBACK_HOSTS, servedModelId} from "../serveAnnouncements.js";
import {superviseServe, WORKER_SOCKET_ENV} from "./superviseServe.js";
import {parsePort, parsePositiveInteger} from "../parseNumbers.js";

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8080;
const DEFAULT_PARALLEL = 1;
/**
 * Most generations at once: each holds a KV-cache sequence of both models, allocated up front, and
 * llama.cpp caps the sequences of a context (256); past a handful, a 2-core machine only queues.
 */
const MAX_PARALLEL = 64;
const DEFAULT_QUEUE = 16;
/**
 * Seconds a request's generation may take unless `--time-limit` says otherwise (a request may ask for less), so
 * that no request holds a slot for long (a 128-token request takes a few seconds on the reference
 * machine, docs/defaults.md).
 */
const DEFAULT_SERVE_TIME_LIMIT = 60;
/** After SIGTERM / SIGINT, running generations get this long to finish before they are stopped. */
const DEFAULT_SHUTDOWN_GRACE = 10;

export type ServeOptions = ModelCliOptions & {
    host: string, port: number, parallel: number, queue: number, log: boolean, apiKey?: string, allowedHosts?: string[], shutdownGrace: number
};

export function createServeCommand(): Command {
    const command = new Command("serve").description("serve the OpenAI API (completions, chat completions) with BiLD decoding; " +
        `the decoding flags set every request's defaults; --time-limit (default ${DEFAULT_SERVE_TIME_LIMIT}) and --max-tokens (where given) cap every request's`);
    addModelOptions(command);
    addDecodingOptions(command);
    return command
        .addOption(new Option("--host <address>", "address to listen on").default(DEFAULT_HOST))
        .addOption(new Option("--port <n>", "port to listen on (0: any free port)").argParser(parsePort).default(DEFAULT_PORT))
        .addOption(new Option("--parallel <n>", `generations decoded at once, each on its own pair of sequences (at most ${MAX_PARALLEL})`)
            .argParser(parseParallel).default(DEFAULT_PARALLEL))
        .addOption(new Option("--queue <n>", "requests that may wait for a free decoder; more get 429").argParser((value) => value === "0" ? 0 : parsePositiveInteger(value)).default(DEFAULT_QUEUE))
        .addOption(new Option("--api-key <key>", "require Authorization: Bearer <key> on every route but /health").env("BILD_API_KEY"))
        .addOption(new Option("--allowed-hosts <host...>",
            `Host header names to answer (default: ${LOOPBACK_HOSTS.join(", ")} when bound to loopback, any otherwise)`))
        .addOption(new Option("--shutdown-grace <s>", "after SIGTERM/SIGINT, seconds running generations get to finish before they are stopped " +
            "(streams then end with an error event, and the exit code is 1)").argParser(parseSeconds).default(DEFAULT_SHUTDOWN_GRACE))
        .addOption(new Option("--log", "log each request").default(false))
        .action(runServe);
}

async function runServe(options: ServeOptions): Promise<void> {
    const defaults = {timeLimit: DEFAULT_SERVE_TIME_LIMIT, ...decodingSettingsOf(options)};
    // Checked before loading models; each request is planned with its own settings over these.
    checkSettings(defaults, modeOf(defaults));
    const workerSocket = process.env[WORKER_SOCKET_ENV];
    if (usesRpc(options) && workerSocket == null)
        return superviseServe(options);
    const pair = await loadPairFromOptions(options, options.parallel);
    // One n-gram memory for every request: a request that repeats an earlier answer is drafted from it.
    const ngramMemory = new NgramMemory();
    const decoders = Array.from({length: options.parallel}, () => Decoder.fromPair(pair, ngramMemory));
    const pool = new DecoderPool(decoders, options.queue);
    const modelId = servedModelId(options);
    const loopback = LOOPBACK_HOSTS.includes(hostOf(options.host));
    const shutdown = new AbortController();
    const background = new BackgroundTokenizer(pair.big.filePath);
    const app = createServer({
        shutdown: shutdown.signal,
        limits: {timeLimit: defaults.timeLimit, maxTokens: defaults.maxTokens},
        tokenizeInBackground: async (text, specialTokens) => pair.tokenizer.asPrompt(await background.encode(text, specialTokens)),
        pool, metrics: new ServerMetrics(pool), chat: new ChatFormatter(pair.big.model, pair.tokenizer), modelId, defaults, bigPlacement: bigPlacementOf(pair),
        logger: options.log,
        apiKey: options.apiKey,
        allowedHosts: options.allowedHosts ?? (loopback ? LOOPBACK_HOSTS : undefined)
    });
    let address: string;
    try {
        // The engine process before this one (see superviseServe) may have left its socket behind.
        if (workerSocket != null)
            await rm(workerSocket, {force: true});
        address = await app.listen(workerSocket != null ? {path: workerSocket} : {host: options.host, port: options.port});
    } catch (error) {
        await background[Symbol.asyncDispose]();
        await pool[Symbol.asyncDispose]();
        await pair[Symbol.asyncDispose]();
        throw listenError(error, options);
    }
    if (workerSocket == null)
        announceServer(options, address, loopback);
    else
        serveAsWorker(pool, defaults.timeLimit);
    await new Promise<void>((resolve) => {
        const shutDown = () => {
            // Armed in the same turn, so that a second signal arriving at once still finds it.
            const now = () => workerSocket == null ? process.exit(1) : exitImmediately(1);
            process.once("SIGINT", now);
            process.once("SIGTERM", now);
            resolve();
        };
        process.once("SIGINT", shutDown);
        process.once("SIGTERM", shutDown);
    });
    process.stderr.write(`bild serve: shutting down: running generations have ${options.shutdownGrace} s to finish (signal again to stop at once)\n`);
    let cut = 0;
    const grace = setTimeout(() => {
        // Generations still running are stopped between two model calls (a stream ends with an
        // error event, a plain request gets 503); only once none is inside llama.cpp are
        // connections cut (a client stalled mid-request) and the models freed.
        cut = pool.busy + pool.queued;
        shutdown.abort();
        void pool.drained().then(() => app.server.closeAllConnections());
    }, options.shutdownGrace * 1000);
    await app.close();
    clearTimeout(grace);
    await background[Symbol.asyncDispose]();
    await pool[Symbol.asyncDispose]();
    await pair[Symbol.asyncDispose]();
    if (cut > 0) {
        process.stderr.write(`bild serve: ${cut} request(s) were cut short by the shutdown\n`);
        process.exitCode = 1;
    }
}

function parseParallel(value: string): number {
    const parallel = parsePositiveInteger(value);
    if (parallel > MAX_PARALLEL)
        throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_PARALLEL}.`);
    return parallel;
}

function parseSeconds(value: string): number {
    const seconds = Number(value);
    if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600)
        throw new InvalidArgumentError("expected seconds from 0 to 3600.");
    return seconds;
}

/**
 * The engine process of `bild serve --big-rpc` (or `--little-rpc`) (see superviseServe): it tells its supervisor when it
 * answers, ends with it, and ends itself when a call to an rpc-server stalls past the time limit
 * (the limit is checked between model calls, and such a call never returns), so that the
 * supervisor fails the request and starts a fresh engine.
 */
function serveAsWorker(pool: DecoderPool, timeLimit: number): void {
    process.send!(WORKER_READY);
    process.once("disconnect", () => exitImmediately(1));
    setInterval(() => {
        if (pool.longestBusySeconds() > timeLimit + RPC_STALL_GRACE_SECONDS)
            rpcStalled(`the time limit (${timeLimit} s)`);
    }, 1000).unref();
}
