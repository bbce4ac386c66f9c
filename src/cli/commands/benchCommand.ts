import {Command, Option} from "commander";
import {mkdir, writeFile, readFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {benchRowSpecs, BENCH_SEED, parseModes, ALL_BENCH_MODES} from "../../eval/benchRows.js";
import {markdownTable} from "../../eval/benchReport.js";
import {frontierSvg, svgToPng} from "../../eval/frontierPlot.js";
import {addBenchOptions, benchGrid, benchMaxTokens, runBenchFromOptions, type BenchCliOptions} from "../benchOptions.js";
import {addDecodingOptions, decodingSettingsOf} from "../decodingOptions.js";
import {addModelOptions, type ModelCliOptions} from "../modelOptions.js";
import {checkSettings} from "../../decoding/settings/decodingSettings.js";
import {getEngineLlama} from "../../engine/getEngineLlama.js";

const PENALTY_SETTINGS = ["repeatPenalty", "repeatLastN", "frequencyPenalty", "presencePenalty"] as const;

type BenchCommandOptions = ModelCliOptions & BenchCliOptions & {
    modes: string[],
    out: string
};

export function createBenchCommand(): Command {
    const command = new Command("bench")
        .description("measure speed and quality of big, little, speculative, BiLD, node-llama-cpp's speculative decoding and the oracle bounds, side by side; " +
            `with --temperature above 0 also sampled rows (seed ${BENCH_SEED}), whose speed-ups are over the big model sampling alike; ` +
            "repetition penalties apply to every row");
    addModelOptions(command);
    addBenchOptions(command);
    addDecodingOptions(command, ["temperature", "topP", "topK", "minP", ...PENALTY_SETTINGS]);
    return command
        .addOption(new Option("--modes <mode...>", `rows to run (big always runs): ${ALL_BENCH_MODES.join(", ")}`).default([...ALL_BENCH_MODES]))
        .addOption(new Option("--out <dir>", "folder for results.json, table.md, frontier.svg and frontier.png").default("bench-out"))
        .action(runBenchCommand);
}

async function runBenchCommand(options: BenchCommandOptions): Promise<void> {
    const modes = parseModes(options.modes);
    const given = decodingSettingsOf(options);
    const {temperature, topP, topK, minP} = given;
    const sampling = {temperature, topP, topK, minP};
    const penalty = Object.fromEntries(PENALTY_SETTINGS.filter((name) => given[name] !== undefined).map((name) => [name, given[name]]));
    checkSettings({...sampling, ...penalty}, "big");
    const rows = benchRowSpecs(modes, benchGrid(options), sampling, penalty);
    const {output, prompts, threads, flashAttention} = await runBenchFromOptions(options, rows, "bench");
    const reported = modes.includes("oracle") ? output.rows : output.rows.filter((row) => row.mode !== "oracle");
    const table = markdownTable(reported);
    process.stdout.write(table + "\n");

    await mkdir(options.out, {recursive: true});
    const maxTokens = benchMaxTokens(options);
    const title = `${path.basename(options.big)} / ${path.basename(options.little)}, ${prompts.length} prompts × ${maxTokens} tokens`;
    const svg = await frontierSvg(reported, title);
    await writeFile(path.join(options.out, "frontier.svg"), svg);
    await writeFile(path.join(options.out, "frontier.png"), svgToPng(svg));
    await writeFile(path.join(options.out, "table.md"), table + "\n");
    await writeFile(path.join(options.out, "results.json"), JSON.stringify({
        command: process.argv.slice(1).join(" "),
        date: new Date().toISOString(),
        machine: {cpu: os.cpus()[0]?.model, cpus: os.cpus().length, memoryGiB: os.totalmem() / 2 ** 30, platform: `${os.platform()} ${os.release()}`},
        versions: {node: process.version, ...(await packageVersions())},
        models: {big: options.big, little: options.little},
        settings: {
            threads,
            contextSize: options.contextSize, batchSize: options.batchSize, flashAttention, maxTokens, prompts: prompts.length, rounds: options.rounds,
            promptFile: options.prompts, sampling, penalty
        },
        costCurves: output.costCurves,
        rows: reported,
        records: output.records
    }, (_, value) => value === Number.POSITIVE_INFINITY ? "inf" : value, 2) + "\n");
    process.stderr.write(`wrote ${path.join(options.out, "results.json")}, table.md, frontier.svg, frontier.png\n`);
}

async function packageVersions(): Promise<Record<string, string>> {
    const read = async (url: URL) => (JSON.parse(await readFile(url, "utf8")) as {version: string}).version;
    // node-llama-cpp's exports hide its package.json; its entry point lies in dist/ below it.
    const nodeLlamaCppEntry = new URL(import.meta.resolve("node-llama-cpp"));
    return {
        bild: await read(new URL("../../../../package.json", import.meta.url)),
        nodeLlamaCpp: await read(new URL("../package.json", nodeLlamaCppEntry)),
        // `npm run build:addon` compiles llama.cpp for this CPU; node-llama-cpp then prefers it to its prebuilt binary.
        engineBinary: (await getEngineLlama()).buildType
    };
}
