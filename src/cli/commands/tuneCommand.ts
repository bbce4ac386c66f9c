import {Command, Option} from "commander";
import {benchRowSpecs} from "../../eval/benchRows.js";
import type {BenchRow} from "../../eval/benchTypes.js";
import {chooseSettings} from "../../eval/chooseSettings.js";
import {asCliFlags, asLibraryOptions, type DecodingSettings} from "../../decoding/settings/decodingSettings.js";
import {BildUsageError} from "../../errors.js";
import {addBenchOptions, benchGrid, runBenchFromOptions, type BenchCliOptions} from "../benchOptions.js";
import {addModelOptions, type ModelCliOptions} from "../modelOptions.js";
import {parseNumber} from "../parseNumbers.js";

const DEFAULT_MAX_QUALITY_DROP = 1;

type TuneOptions = ModelCliOptions & BenchCliOptions & {maxQualityDrop: number};

export function createTuneCommand(): Command {
    const command = new Command("tune")
        .description("run the BiLD grid on your models and prompts and print the fastest settings within a quality budget");
    addModelOptions(command);
    addBenchOptions(command);
    return command
        .addOption(new Option("--max-quality-drop <points>", "largest ROUGE-L drop vs big to accept")
            .argParser(parseNumber).default(DEFAULT_MAX_QUALITY_DROP))
        .action(runTune);
}

async function runTune(options: TuneOptions): Promise<void> {
    if (options.maxQualityDrop < 0)
        throw new BildUsageError(`--max-quality-drop must be ≥ 0 ROUGE-L points, got ${options.maxQualityDrop}`);
    const rows = benchRowSpecs(["big", "bild"], benchGrid(options));
    const {output, prompts} = await runBenchFromOptions(options, rows, "tune");
    const choice = chooseSettings(output.rows, options.maxQualityDrop);
    const describe = (row: BenchRow) =>
        `${row.name}: ${row.speedup.toFixed(2)}× big, ROUGE-L ${row.rougeLDelta >= 0 ? "+" : ""}${row.rougeLDelta.toFixed(2)} points, ` +
        `${row.exactMatchPct.toFixed(0)}% of outputs identical to big\n  CLI:     ${asCliFlags(row.settings as DecodingSettings)}\n  library: ${asLibraryOptions(row.settings as DecodingSettings)}`;
    process.stdout.write(`${prompts.length} prompts × ${options.maxTokens} tokens, ${rows.length - 1} BiLD settings\n`);
    process.stdout.write(choice.withinBudget == null
        ? `no BiLD setting beats big within a ${options.maxQualityDrop}-point ROUGE-L drop: decode with --mode big\n`
        : `fastest within a ${options.maxQualityDrop}-point ROUGE-L drop — ${describe(choice.withinBudget)}\n`);
    if (choice.lossless != null)
        process.stdout.write(`best lossless — ${describe(choice.lossless)}\n`);
}
