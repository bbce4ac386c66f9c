import {Command, InvalidArgumentError, Option} from "commander";
import path from "node:path";
import {Decoder} from "../../decoding/Decoder.js";
import {NgramMemory} from "../../decoding/drafters/NgramMemory.js";
import {BackgroundTokenizer} from "../../engine/BackgroundTokenizer.js";
import {ChatFormatter} from "../../engine/ChatFormatter.js";
import {createServer} from "../../server/createServer.js";
import {hostOf} from "../../server/requestGuards.js";
import {BildUsageError} from "../../errors.js";
import {DecoderPool} from "../../server/DecoderPool.js";
import {ServerMetrics} from "../../server/ServerMetrics.js";
import {addDecodingOptions, decodingSettingsOf} from "../decodingOptions.js";
import {checkSettings, modeOf} from "../../decoding/settings/decodingSettings.js";
import {addModelOptions, loadPairFromOptions, type ModelCliOptions} from "../modelOptions.js";
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

/** Names a server bound to these answers to by default; other `Host` headers get 403 (DNS rebinding). */
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"];

type ServeOptions = ModelCliOptions & {
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
    const pair = await loadPairFromOptions(options, options.parallel);
    // One n-gram memory for every request: a request that repeats an earlier answer is drafted from it.
    const ngramMemory = new NgramMemory();
    const decoders = Array.from({length: options.parallel}, () => Decoder.fromPair(pair, ngramMemory));
    const pool = new DecoderPool(decoders, options.queue);
    const modelId = path.basename(options.big).replace(/\.gguf$/i, "");
    const loopback = LOOPBACK_HOSTS.includes(hostOf(options.host));
    const shutdown = new AbortController();
    const background = new BackgroundTokenizer(pair.big.filePath);
    const app = createServer({
        shutdown: shutdown.signal,
        limits: {timeLimit: defaults.timeLimit, maxTokens: defaults.maxTokens},
        tokenizeInBackground: async (text, specialTokens) => pair.tokenizer.asPrompt(await background.encode(text, specialTokens)),
        pool, metrics: new ServerMetrics(pool), chat: new ChatFormatter(pair.big.model, pair.tokenizer), modelId, defaults, logger: options.log,
        apiKey: options.apiKey,
        allowedHosts: options.allowedHosts ?? (loopback ? LOOPBACK_HOSTS : undefined)
    });
    let address: string;
    try {
        address = await app.listen({host: options.host, port: options.port});
    } catch (error) {
        await background[Symbol.asyncDispose]();
        await pool[Symbol.asyncDispose]();
        await pair[Symbol.asyncDispose]();
        throw listenError(error, options);
    }
    if (!loopback && options.apiKey == null)
        process.stderr.write(`bild serve: warning: listening on ${options.host} without an API key: anyone who can reach it can use it (set --api-key or BILD_API_KEY)\n`);
    process.stderr.write(`bild serve: model "${modelId}" on ${address} (parallel ${options.parallel}, queue ${options.queue})\n`);
    await new Promise<void>((resolve) => {
        const shutDown = () => {
            // Armed in the same turn, so that a second signal arriving at once still finds it.
            const now = () => process.exit(1);
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

/** The one-line reason `listen` failed, naming the fix. */
function listenError(error: unknown, options: ServeOptions): Error {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${options.host}:${options.port}`;
    if (code === "EADDRINUSE")
        return new BildUsageError(`${where} is already in use: stop what listens there, or pick another --port (0 picks a free one)`);
    if (code === "EACCES")
        return new BildUsageError(`no permission to listen on ${where}: use a port above 1023`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN")
        return new BildUsageError(`cannot listen on host "${options.host}": it is not an address of this machine (use 127.0.0.1, or 0.0.0.0 for all)`);
    return error instanceof Error ? error : new Error(String(error));
}
