import {Command, Option} from "commander";
import {Decoder} from "../../decoding/Decoder.js";
import {resolveGenerateOptions} from "../../decoding/GenerateOptions.js";
import {BildInterruptedError} from "../../errors.js";
import type {GenerationResult, GenerationStats} from "../../decoding/GenerationResult.js";
import {addDecodingOptions, toGenerateOptions, type DecodingCliOptions} from "../decodingOptions.js";
import {addModelOptions, loadPairFromOptions, type ModelCliOptions} from "../modelOptions.js";
import {readPrompt} from "../readStdin.js";
import {colorByOrigin, ORIGIN_LEGEND} from "../colorByOrigin.js";

type GenerateCliOptions = ModelCliOptions & DecodingCliOptions & {
    prompt?: string,
    stats: boolean,
    json: boolean,
    color: boolean
};

export function createGenerateCommand(): Command {
    const command = new Command("generate")
        .description("continue a prompt with a big/little model pair (defaults: the bundled code pair, BiLD)")
        .addOption(new Option("--prompt <text>", "the prompt (default: read from standard input)"));
    addModelOptions(command);
    addDecodingOptions(command);
    return command
        .addOption(new Option("--stats", "print decoding statistics to standard error").default(false))
        .addOption(new Option("--json", "print one JSON object: text, tokens, origins, finishReason, stats").default(false))
        .addOption(new Option("--color", "colour each token by origin (only when standard output is a terminal)").default(false))
        .action(runGenerate);
}

async function runGenerate(options: GenerateCliOptions): Promise<void> {
    // Check the settings before spending seconds on loading models.
    const generateOptions = toGenerateOptions(options);
    resolveGenerateOptions(generateOptions);
    const prompt = await readPrompt(options.prompt);
    const abort = new AbortController();
    const onInterrupt = () => abort.abort(new BildInterruptedError());
    process.once("SIGINT", onInterrupt);
    const pair = await loadPairFromOptions(options);
    const decoder = Decoder.fromPair(pair);
    try {
        const colored = options.color && process.stdout.isTTY;
        let result: GenerationResult;
        if (options.json || colored)
            result = await decoder.generate(prompt, {...generateOptions, signal: abort.signal});
        else {
            const stream = decoder.stream(prompt, {...generateOptions, signal: abort.signal});
            for await (const chunk of stream)
                process.stdout.write(chunk);
            result = await stream.result;
        }
        if (options.json)
            process.stdout.write(JSON.stringify({
                mode: options.mode, text: result.text, tokens: result.tokens, origins: result.origins,
                finishReason: result.finishReason, seed: result.seed, stats: result.stats
            }) + "\n");
        else {
            if (colored) {
                process.stderr.write(ORIGIN_LEGEND + "\n");
                process.stdout.write(colorByOrigin(result, pair.tokenizer));
            }
            process.stdout.write("\n");
        }
        if (options.stats)
            process.stderr.write(formatStats(result.stats) + (result.seed == null ? "" : `\nseed: ${result.seed}`) + "\n");
    } finally {
        process.off("SIGINT", onInterrupt);
        await decoder[Symbol.asyncDispose]();
        await pair[Symbol.asyncDispose]();
    }
}

function formatStats(stats: GenerationStats): string {
    const seconds = stats.totalMs / 1000;
    const share = (ms: number) => `${(100 * ms / Math.max(stats.totalMs, 1e-9)).toFixed(1)}%`;
    return [
        `tokens: ${stats.generatedTokens} generated (${stats.littleAccepted} little, ${stats.bigTokens} big), ` +
        `${stats.promptTokens} prompt; ${(stats.generatedTokens / seconds).toFixed(1)} tok/s over ${seconds.toFixed(3)} s`,
        `little: ${stats.littleProposed} proposed, ${stats.littleAccepted} accepted, ${stats.littleCalls} calls, ` +
        `${stats.littleTokensEvaluated} tokens evaluated`,
        `big: ${stats.bigCalls} calls, ${stats.bigTokensEvaluated} tokens evaluated; ${stats.fallbacks} fallbacks, ` +
        `${stats.rollbacks} rollbacks, ${stats.discarded} tokens discarded`,
        `time: big ${share(stats.timeBigMs)}, little ${share(stats.timeLittleMs)}, bild ${share(stats.timeOwnMs)}`
    ].join("\n");
}
