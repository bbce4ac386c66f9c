import {execFile} from "node:child_process";
import {access} from "node:fs/promises";
import {constants} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {promisify} from "node:util";
import {DECODING_SETTINGS, type DecodingSettings} from "../decoding/settings/decodingSettings.js";

/** Where `npm run build:native` puts llama.cpp's own tools. */
export const DEFAULT_NATIVE_BIN_DIR = fileURLToPath(new URL("../../../.cache/native/llama.cpp/build/bin", import.meta.url));

/** One of llama.cpp's own programs as a bench row: its tool, flash attention and, for speculative decoding, the draft length. */
export type NativeSettings = {
    readonly tool: "llama-completion" | "llama-speculative-simple" | "llama-speculative",
    readonly flashAttention: boolean,
    /** Most draft tokens per round (`--spec-draft-n-max`); speculative tools with a draft model only. */
    readonly draftMax?: number,
    /**
     * `llama-speculative-simple`'s drafters (`--spec-type`, comma-separated): the draft model
     * (`draft-simple`, the default), its n-gram drafters (`ngram-mod`, `ngram-map-k`, …) or both.
     */
    readonly specType?: string,
    /** Sampling and repetition penalties, as our rows of the same bench decode (greedy when absent). */
    readonly decoding?: DecodingSettings
};

/**
 * Whether the row's output is the big model's own (greedy) or a draw from its distribution
 * (sampled). Not `llama-speculative` sampling: it drafts the draft model's most likely tokens but
 * accepts them with the ratio meant for sampled drafts (`examples/speculative/speculative.cpp`),
 * which favours the draft's argmax, so its sampled text is sharper than the big model's
 * (docs/upstream.md §4).
 */
export const isLosslessNative = (settings: NativeSettings) =>
    settings.tool !== "llama-speculative" || (settings.decoding?.temperature ?? 0) === 0;

/** Whether the row drafts with the little model (then it is loaded, with its threads and draft length). */
const usesDraftModel = (settings: NativeSettings) =>
    settings.tool === "llama-speculative" || (settings.specType ?? "draft-simple").split(",").some((type) => type.startsWith("draft-"));

/**
 * The decoding settings every row of a bench shares (sampling and repetition penalties) as
 * llama.cpp's flags. Each is written out, its default included: llama.cpp's own defaults differ
 * from ours (top-p 0.95 and min-p 0.05 there, 1 and 0 here).
 */
function nativeDecodingFlags(settings: DecodingSettings): string[] {
    const value = <K extends keyof typeof DECODING_SETTINGS>(name: K) => settings[name] ?? (DECODING_SETTINGS[name] as {default?: unknown}).default;
    const flags = [
        "--repeat-penalty", String(value("repeatPenalty")), "--repeat-last-n", String(value("repeatLastN")),
        "--frequency-penalty", String(value("frequencyPenalty")), "--presence-penalty", String(value("presencePenalty")),
        "--temp", String(value("temperature"))
    ];
    if (value("temperature") !== 0)
        flags.push("--top-p", String(value("topP")), "--top-k", String(value("topK")), "--min-p", String(value("minP")), "--seed", String(settings.seed ?? 1));
    return flags;
}

/** What the bench needs of the pair to run the native tools alike. */
export type NativeModels = {
    readonly big: string,
    readonly little: string,
    readonly bigThreads: number,
    readonly littleThreads: number,
    readonly contextSize: number,
    readonly batchSize: number,
    /** rpc-servers holding all of the big model's layers (llama.cpp's `--rpc`); the draft model stays here. */
    readonly bigRpc?: readonly string[]
};

/** One native generation: its text and what the tool itself timed (prompt and generation, no load). */
export type NativeRun = {
    readonly text: string,
    /** Tokens timed: the budget, or all generated where the time past the budget is not known (`llama-speculative`, which may pass it by part of a draft). */
    readonly tokens: number,
    /** The tool's own time for the prompt and those tokens. */
    readonly ms: number,
    /** Tokens the tool generated, past the budget included; `drafted` and `accepted` (its own counts) are of these. */
    readonly generated?: number,
    readonly drafted?: number,
    readonly accepted?: number
};

const TOOLS: readonly NativeSettings["tool"][] = ["llama-completion", "llama-speculative-simple", "llama-speculative"];
const RUN_TIMEOUT_MS = 120_000;
/**
 * Runs of one generation before a tool's missing timing lines count as a failure. Now and then a
 * tool exits with them unwritten (about 1 run in 300; twice in a row once in the test suite's runs),
 * though llama.cpp's log thread should flush them at exit; the cause is not found.
 */
const TIMING_ATTEMPTS = 3;
const run = promisify(execFile);

/**
 * llama.cpp's own programs, built from the source node-llama-cpp ships, run greedily on the same
 * files, prompts, budget and threads as our rows: the speed a native user of llama.cpp gets.
 */
export class NativeTools {
    readonly #binDir: string;
    readonly #models: NativeModels;

    private constructor(binDir: string, models: NativeModels) {
        this.#binDir = binDir;
        this.#models = models;
    }

    /** The tools in `binDir`, or why they cannot run (with how to build them). */
    public static async find(binDir: string, models: NativeModels): Promise<NativeTools | string> {
        for (const tool of TOOLS)
            try {
                await access(path.join(binDir, tool), constants.X_OK);
            } catch {
                return `llama.cpp's ${tool} is not in ${binDir}: build the native tools with \`npm run build:native\` (offline, about 5 minutes)`;
            }
        return new NativeTools(binDir, models);
    }

    /**
     * Runs the tool under `decoding`'s sampling and penalties (greedy by default), again (up to
     * {@link TIMING_ATTEMPTS} times: the run is seeded, so it replays) when its log lacks the timings.
     */
    public async generate(settings: NativeSettings, prompt: string, maxTokens: number, decoding: DecodingSettings = {}): Promise<NativeRun> {
        for (let attempt = 1; ; attempt++)
            try {
                return await this.#generateOnce(settings, prompt, maxTokens, decoding);
            } catch (error) {
                if (!(error instanceof MissingTimingError) || attempt === TIMING_ATTEMPTS)
                    throw error;
            }
    }

    async #generateOnce(settings: NativeSettings, prompt: string, maxTokens: number, decoding: DecodingSettings): Promise<NativeRun> {
        const m = this.#models;
        // The prompt as an argument, unescaped: `-f` would drop its last newline.
        const common = [
            "-m", m.big, "-p", prompt, "--no-escape", "-n", String(maxTokens), "-c", String(m.contextSize), "-b", String(m.batchSize),
            "-t", String(m.bigThreads), ...nativeDecodingFlags(decoding), "-fa", settings.flashAttention ? "on" : "off",
            ...(onRpc(m) ? ["--rpc", m.bigRpc!.join(","), "-ngl", "all"] : [])
        ];
        if (settings.tool === "llama-completion") {
            const {stdout, stderr} = await this.#run(settings.tool, [...common, "-no-cnv", "--no-display-prompt", "--simple-io"]);
            const [promptMs] = readLog(stderr, /prompt eval time =\s*([\d.]+) ms/, "prompt eval time");
            const [evalMs, runs] = readLog(stderr, /(?<!prompt )eval time =\s*([\d.]+) ms \/\s*(\d+) runs/, "eval time");
            // The first token comes out of the prompt's evaluation; each later one is one run.
            return {text: stdout, tokens: runs! + 1, ms: promptMs! + evalMs!};
        }
        const draft = [
            ...(usesDraftModel(settings)
                ? ["-md", m.little, "-td", String(m.littleThreads), "--spec-draft-n-max", String(settings.draftMax), "--spec-draft-p-min", "0",
                    ...(onRpc(m) ? ["-ngld", "0"] : [])]
                : []),
            // Every log entry as a time-stamped JSON line, the generated pieces included: see timeAfterBudget.
            ...(settings.tool === "llama-speculative-simple" ? ["--spec-type", settings.specType ?? "draft-simple", "--log-jsonl"] : [])
        ];
        const output = await this.#run(settings.tool, [...common, ...draft]);
        const {stdout, stderr, pieces} = settings.tool === "llama-speculative-simple" ? readJsonLog(output.stdout, output.stderr) : {...output, pieces: []};
        const [generated, decodedSeconds] = readLog(stderr, /decoded\s+(\d+) tokens in\s+([\d.]+) seconds/, "decoded … tokens in");
        const [promptTokens, encodedSeconds] = readLog(stderr, /encoded\s+(\d+) tokens in\s+([\d.]+) seconds/, "encoded … tokens in");
        const msAfter = timeAfterBudget(pieces, promptTokens!, generated!, maxTokens);
        // These tools echo the prompt (detokenized, BOS included) before the generation.
        const start = stdout.indexOf(prompt);
        if (start < 0)
            throw new Error(`${settings.tool}'s output does not start with the prompt: cannot tell the generation apart`);
        return {
            text: stdout.slice(start + prompt.length),
            tokens: msAfter == null ? generated! : maxTokens,
            ms: 1000 * (encodedSeconds! + decodedSeconds!) - (msAfter ?? 0),
            generated: generated!,
            drafted: readLog(stderr, /n_drafted\s*=\s*(\d+)/, "n_drafted")[0],
            accepted: readLog(stderr, /n_accept\s*=\s*(\d+)/, "n_accept")[0]
        };
    }

    async #run(tool: string, args: string[]): Promise<{stdout: string, stderr: string}> {
        try {
            return await run(path.join(this.#binDir, tool), args, {timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 2 ** 20, encoding: "utf8"});
        } catch (error) {
            const {stdout = "", stderr = ""} = error as {stdout?: string, stderr?: string};
            throw new Error(`${tool} failed: ${lastLine(stderr) || lastLine(readJsonLog(stdout, "").stderr) || (error as Error).message}`);
        }
    }
}

class MissingTimingError extends Error {
    public constructor(what: string) {
        super(`a native tool's log lacks its "${what}" line`);
    }
}

/** The numbers `pattern` captures in a tool's log, or a {@link MissingTimingError} naming the line. */
function readLog(text: string, pattern: RegExp, line: string): number[] {
    const match = pattern.exec(text);
    if (match == null)
        throw new MissingTimingError(line);
    return match.slice(1).map(Number);
}

/** A piece of a tool's standard output and when it was logged (µs from the tool's start). */
type LoggedPiece = {readonly text: string, readonly us: number};

/**
 * A tool's `--log-jsonl` output read back into its two plain streams (the tool writes every entry
 * to standard output then; lines that are not log entries are left out) and the pieces of the first
 * with their times.
 */
function readJsonLog(output: string, stderr: string): {stdout: string, stderr: string, pieces: LoggedPiece[]} {
    const pieces: LoggedPiece[] = [];
    let log = stderr;
    for (const line of output.split("\n")) {
        let entry: {type?: unknown, level?: unknown, msg?: unknown, time?: unknown};
        try {
            entry = JSON.parse(line) as typeof entry;
        } catch {
            continue;
        }
        if (entry.type !== "log" || typeof entry.msg !== "string")
            continue;
        if (entry.level === "none")
            pieces.push({text: entry.msg, us: Number(entry.time)});
        else
            log += entry.msg;
    }
    return {stdout: pieces.map((piece) => piece.text).join(""), stderr: log, pieces};
}

/**
 * `llama-speculative-simple` passes the budget: it caps each draft at the tokens left minus one, so
 * its rounds land on the budget, and then runs one more round, whose cap of 0 its drafters read as
 * none (examples/speculative-simple: `n_draft_max`; common/speculative.cpp: `dp.n_max > 0`). An
 * n-gram drafter fills that round with up to 64 tokens for one big call, so timing the budget's
 * share of the whole run credits the tool with a cheap tail our rows never write (up to 1.5× its
 * tokens per second on looping text). It logs "\n\n", each prompt token, then each generated token
 * as its round ends: the time from the budget's last token to the last one generated is the rounds
 * past the budget. Undefined when the budget was not passed or the pieces do not add up.
 */
function timeAfterBudget(pieces: readonly LoggedPiece[], promptTokens: number, generated: number, budget: number): number | undefined {
    const output = pieces.slice(1 + promptTokens, 1 + promptTokens + generated);
    if (generated <= budget || output.length !== generated)
        return undefined;
    return (output[generated - 1]!.us - output[budget - 1]!.us) / 1000;
}

const onRpc = (models: NativeModels) => models.bigRpc != null && models.bigRpc.length > 0;

const lastLine = (text: string) => text.trim().split("\n").at(-1)?.trim() ?? "";
