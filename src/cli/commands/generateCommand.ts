import type {ModelPair} from "../../engine/ModelPair.js";
import type {FlashAttentionChoice} from "../../engine/chooseFlashAttention.js";
import {Command, Option} from "commander";
import {Decoder} from "../../decoding/Decoder.js";
import {ChatFormatter} from "../../engine/ChatFormatter.js";
import type {Token} from "../../engine/ModelSequence.js";
import {planDecoding} from "../../decoding/DecodingPlan.js";
import {settingsFor} from "../../decoding/settings/decodingSettings.js";
import type {GenerateOptions} from "../../decoding/GenerateOptions.js";
import {BildInterruptedError, BildUsageError} from "../../errors.js";
import type {GenerationResult} from "../../decoding/GenerationResult.js";
import {compareWithBig, formatStats, summaryLine, type BigComparison} from "../generationSummary.js";
import {addDecodingOptions, decodingSettingsOf} from "../decodingOptions.js";
import {addModelOptions, loadPairFromOptions, RPC_STALL_GRACE_SECONDS, rpcStalled, usesRpc, type ModelCliOptions} from "../modelOptions.js";
import {readPrompt} from "../readStdin.js";
import {colorByOrigin, ORIGIN_LEGEND} from "../colorByOrigin.js";

type GenerateCliOptions = ModelCliOptions & {
    prompt?: string,
    chat: boolean,
    system?: string,
    stats: boolean,
    compare: boolean,
    json: boolean,
    color: boolean
};

export function createGenerateCommand(): Command {
    const command = new Command("generate")
        .description("continue a prompt with a big/little model pair (defaults: the bundled Python pair, lossless BiLD)")
        .addOption(new Option("--prompt <text>", "the prompt (default: read from standard input)"))
        .addOption(new Option("--chat", "the prompt is a user message: apply the big model's chat template (as the server's chat endpoint does) " +
            "and stop at its end of turn").default(false))
        .addOption(new Option("--system <text>", "with --chat: a system message before the user's"));
    addModelOptions(command);
    addDecodingOptions(command);
    return command
        .addOption(new Option("--stats", "print a summary line and decoding statistics to standard error").default(false))
        .addOption(new Option("--compare", "then decode the same prompt with the big model alone, in this process, and print a summary line: " +
            "share of little-model tokens, big-model calls, identical output or not, speed against big alone").default(false))
        .addOption(new Option("--json", "print one JSON object: text, tokens, origins, finishReason, stats (and comparison with --compare)").default(false))
        .addOption(new Option("--color", "colour each token by origin (only when standard output is a terminal)").default(false))
        .action(runGenerate);
}

async function runGenerate(options: GenerateCliOptions): Promise<void> {
    if (options.system != null && !options.chat)
        throw new BildUsageError("--system gives a chat's system message: add --chat");
    const settings = decodingSettingsOf(options);
    // Planning checks the settings before seconds go into loading models.
    const abort = new AbortController();
    const placement = options.bigRpc != null ? "rpc" : "local";
    let plan = planDecoding({...settings, signal: abort.signal}, placement);
    const {mode} = plan;
    if (options.compare && mode === "big")
        throw new BildUsageError("--compare measures a mode against --mode big: use it with bild, speculative or little");
    let bigAlone: GenerateOptions = {...settingsFor(settings, "big"), mode: "big", signal: abort.signal};
    const text = await readPrompt(options.prompt);
    const onInterrupt = () => abort.abort(new BildInterruptedError());
    process.once("SIGINT", onInterrupt);
    const pair = await loadPairFromOptions(options);
    const decoder = Decoder.fromPair(pair);
    try {
        let prompt: string | Token[] = text;
        if (options.chat) {
            const chat = new ChatFormatter(pair.big.model, pair.tokenizer).format([
                ...options.system == null ? [] : [{role: "system", content: options.system} as const],
                {role: "user", content: text}
            ]);
            prompt = chat.tokens;
            const stop = [...settings.stop ?? [], ...chat.stop];
            plan = planDecoding({...settings, stop, signal: abort.signal}, placement);
            bigAlone = {...bigAlone, stop};
        }
        if (options.compare)
            await warmUp(decoder, prompt, [{...settings, signal: abort.signal}, bigAlone]);
        watchRpcStall(options, settings.timeLimit);
        const colored = options.color && process.stdout.isTTY;
        let result: GenerationResult;
        if (options.json || colored)
            result = await decoder.generate(prompt, plan);
        else {
            const stream = decoder.stream(prompt, plan);
            for await (const chunk of stream)
                process.stdout.write(chunk);
            result = await stream.result;
        }
        let comparison: BigComparison | undefined;
        if (options.compare) {
            // Both runs start from empty caches, so each pays for its whole prompt.
            await decoder.clearCache();
            comparison = compareWithBig(result, await decoder.generate(prompt, {...bigAlone, seed: result.seed}));
        }
        if (options.json)
            process.stdout.write(JSON.stringify({
                mode, text: result.text, tokens: result.tokens, origins: result.origins,
                finishReason: result.finishReason, seed: result.seed, stats: result.stats, comparison,
                engine: {
                    gpu: pair.gpu, bigThreads: pair.big.threads, littleThreads: pair.little.threads, contextSize: pair.contextSize,
                    flashAttention: {big: pair.big.flashAttention, little: pair.little.flashAttention},
                    bigRpc: pair.big.rpcServers.length > 0 ? pair.big.rpcServers : undefined,
                    littleRpc: pair.little.rpcServers.length > 0 ? pair.little.rpcServers : undefined
                }
            }) + "\n");
        else {
            if (colored) {
                process.stderr.write(ORIGIN_LEGEND + "\n");
                process.stdout.write(colorByOrigin(result, pair.tokenizer));
            }
            process.stdout.write("\n");
        }
        if (options.stats || comparison != null)
            process.stderr.write(summaryLine(mode, result, comparison) + "\n");
        if (options.stats)
            process.stderr.write(formatStats(result.stats) + `\n${attentionLine(pair)}` + (result.seed == null ? "" : `\nseed: ${result.seed}`) + "\n");
    } finally {
        process.off("SIGINT", onInterrupt);
        await decoder[Symbol.asyncDispose]();
        await pair[Symbol.asyncDispose]();
    }
}

/**
 * The time limit is checked between model calls; a call to an rpc-server that stopped answering
 * (stopped process, lost network) never returns, so with `--big-rpc` or `--little-rpc` a timer ends the process.
 */
function watchRpcStall(options: GenerateCliOptions, timeLimit: number | undefined): void {
    if (!usesRpc(options) || timeLimit == null || !Number.isFinite(timeLimit))
        return;
    setTimeout(() => rpcStalled(`--time-limit ${timeLimit}`), (timeLimit + RPC_STALL_GRACE_SECONDS) * 1000).unref();
}

/** "flash attention: big on (measured: 1.20 vs 1.41 ms), little off (cached: …)", for `--stats`. */
function attentionLine(pair: ModelPair): string {
    const describe = ({enabled, by, msOn, msOff}: FlashAttentionChoice) =>
        `${enabled === "auto" ? "auto" : enabled ? "on" : "off"} (${by}${msOn == null ? "" : `: ${msOn.toFixed(2)} ms on vs ${msOff!.toFixed(2)} ms off`})`;
    return `flash attention: big ${describe(pair.big.flashAttention)}, little ${describe(pair.little.flashAttention)}`;
}

/**
 * A few tokens in each mode, then empty caches: the first calls of a fresh process pay for memory
 * allocation and thread start-up, which would otherwise be charged to whichever run came first.
 */
async function warmUp(decoder: Decoder, prompt: string | Token[], runs: readonly GenerateOptions[]): Promise<void> {
    for (const options of runs)
        await decoder.generate(prompt, {...options, maxTokens: Math.min(4, options.maxTokens ?? 4)});
    await decoder.clearCache();
}
