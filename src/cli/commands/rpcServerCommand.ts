import {Command, Option} from "commander";
import {getEngineLlama} from "../../engine/getEngineLlama.js";
import {serveRpc} from "../../engine/rpc/ggmlBackends.js";
import {BildUsageError} from "../../errors.js";
import {parsePort, parsePositiveInteger} from "../parseNumbers.js";

type RpcServerCliOptions = {host: string, port: number, threads?: number};

/** llama.cpp's own rpc-server listens here by default. */
const DEFAULT_RPC_PORT = 50052;

export function createRpcServerCommand(): Command {
    return new Command("rpc-server")
        .description("serve this machine's CPU to llama.cpp RPC clients (bild --big-rpc and --little-rpc, llama.cpp's --rpc), with llama.cpp's own RPC server code; " +
            "needs a binary built with `npm run build:addon`")
        .addOption(new Option("--host <address>", "address to listen on; RPC has no authentication, so expose it only to a trusted network").default("127.0.0.1"))
        .addOption(new Option("--port <n>", "port to listen on").argParser(parsePort).default(DEFAULT_RPC_PORT))
        .addOption(new Option("--threads <n>", "CPU threads of the computation (default: the physical cores)").argParser(parsePositiveInteger))
        .action(runRpcServer);
}

async function runRpcServer(options: RpcServerCliOptions): Promise<void> {
    const llama = await getEngineLlama("off");
    const endpoint = `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;
    const threads = options.threads ?? Math.max(1, llama.cpuMathCores);
    process.stderr.write(`bild: rpc-server on ${endpoint}, ${threads} CPU thread${threads === 1 ? "" : "s"}, one client at a time (stop it with Ctrl-C)\n`);
    try {
        serveRpc(endpoint, threads);
    } catch (error) {
        if (error instanceof BildUsageError)
            throw error;
        throw new BildUsageError(`rpc-server: cannot listen on ${endpoint} (in use, or not an address of this machine): choose another --port or --host`);
    }
}
