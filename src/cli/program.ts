import {Command, CommanderError} from "commander";
import {BildInterruptedError, errorMessage, isUsageError} from "../errors.js";
import {createGenerateCommand} from "./commands/generateCommand.js";
import {createBenchCommand} from "./commands/benchCommand.js";
import {createTuneCommand} from "./commands/tuneCommand.js";
import {createServeCommand} from "./commands/serveCommand.js";
import {createRpcServerCommand} from "./commands/rpcServerCommand.js";

const USAGE_EXIT_CODE = 2;
const INTERRUPTED_EXIT_CODE = 130;

const program = new Command("bild")
    .description("Big Little Decoder: a little model writes, a big model checks (llama.cpp)")
    .exitOverride()
    .showSuggestionAfterError()
    .addCommand(createGenerateCommand().exitOverride())
    .addCommand(createBenchCommand().exitOverride())
    .addCommand(createTuneCommand().exitOverride())
    .addCommand(createServeCommand().exitOverride())
    .addCommand(createRpcServerCommand().exitOverride());

// A reader that stops early (`bild generate | head`) closes the pipe: that ends the command
// quietly, as it does for other command-line tools, instead of an unhandled EPIPE.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE")
        throw error;
    process.exit(0);
});

try {
    await program.parseAsync(process.argv);
} catch (error) {
    if (error instanceof CommanderError) {
        // Commander has already printed its one-line message (or the help / version text).
        process.exitCode = error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    } else if (error instanceof BildInterruptedError) {
        process.stderr.write("\nbild: interrupted\n");
        process.exitCode = INTERRUPTED_EXIT_CODE;
    } else if (isUsageError(error)) {
        process.stderr.write(`bild: error: ${error.message}\n`);
        process.exitCode = USAGE_EXIT_CODE;
    } else {
        process.stderr.write(`bild: internal error: ${errorMessage(error)}\n`);
        if (process.env.BILD_DEBUG)
            console.error(error);
        process.exitCode = 1;
    }
}
