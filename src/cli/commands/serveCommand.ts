import {Command, Option} from "commander";
import path from "node:path";
import {Decoder} from "../../decoding/Decoder.js";
import {ChatFormatter} from "../../engine/ChatFormatter.js";
import {createServer} from "../../server/createServer.js";
import {DecoderPool} from "../../server/DecoderPool.js";
import {ServerMetrics} from "../../server/ServerMetrics.js";
import {addDecodingOptions, decodingSettingsOf} from "../decodingOptions.js";
import {checkSettings, modeOf} from "../../decoding/settings/decodingSettings.js";
import {addModelOptions, loadPairFromOptions, type ModelCliOptions} from "../modelOptions.js";
import {parsePositiveInteger} from "../parseNumbers.js";

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8080;
const DEFAULT_PARALLEL = 1;
const DEFAULT_QUEUE = 16;

type ServeOptions = ModelCliOptions & {host: string, port: number, parallel: number, queue: number, log: boolean};

export function createServeCommand(): Command {
    const command = new Command("serve").description("serve the OpenAI API (completions, chat completions) with BiLD decoding");
    addModelOptions(command);
    addDecodingOptions(command);
    return command
        .addOption(new Option("--host <address>", "address to listen on").default(DEFAULT_HOST))
        .addOption(new Option("--port <n>", "port to listen on (0: any free port)").argParser((value) => value === "0" ? 0 : parsePositiveInteger(value)).default(DEFAULT_PORT))
        .addOption(new Option("--parallel <n>", "generations decoded at once, each on its own pair of sequences").argParser(parsePositiveInteger).default(DEFAULT_PARALLEL))
        .addOption(new Option("--queue <n>", "requests that may wait for a free decoder; more get 429").argParser((value) => value === "0" ? 0 : parsePositiveInteger(value)).default(DEFAULT_QUEUE))
        .addOption(new Option("--log", "log each request").default(false))
        .action(runServe);
}

async function runServe(options: ServeOptions): Promise<void> {
    const defaults = decodingSettingsOf(options);
    // Checked before loading models; each request is planned with its own settings over these.
    checkSettings(defaults, modeOf(defaults));
    const pair = await loadPairFromOptions(options, options.parallel);
    const decoders = Array.from({length: options.parallel}, () => Decoder.fromPair(pair));
    const pool = new DecoderPool(decoders, options.queue);
    const modelId = path.basename(options.big).replace(/\.gguf$/i, "");
    const app = createServer({
        pool, metrics: new ServerMetrics(pool), chat: new ChatFormatter(pair.big.model, pair.tokenizer), modelId, defaults, logger: options.log
    });
    const address = await app.listen({host: options.host, port: options.port});
    process.stderr.write(`bild serve: model "${modelId}" on ${address} (parallel ${options.parallel}, queue ${options.queue})\n`);
    await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
    });
    await app.close();
    await pool[Symbol.asyncDispose]();
    await pair[Symbol.asyncDispose]();
}
