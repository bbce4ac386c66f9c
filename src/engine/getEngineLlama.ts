import {getLlama, LlamaLogLevel, NoBinaryFoundError, type Llama} from "node-llama-cpp";
import {BildUsageError} from "../errors.js";
import {DEFAULT_GPU, type GpuChoice} from "./EngineSettings.js";
import {LLAMA_CMAKE_OPTIONS} from "./rpc/rpcBuild.js";

const llamas = new Map<GpuChoice, Promise<Llama>>();
let firstNativeError: string | undefined;

/** What installs each backend's prebuilt binary (node-llama-cpp's optional packages, by platform). */
const BACKEND_INSTALL: Record<Exclude<GpuChoice, "auto" | "off">, string> = {
    cuda: "install the CUDA build: npm install --no-save @node-llama-cpp/linux-x64-cuda@3.22.1 @node-llama-cpp/linux-x64-cuda-ext@3.22.1 " +
        "(Windows: win-x64-cuda, win-x64-cuda-ext), with an NVIDIA driver",
    vulkan: "install the Vulkan build: npm install --no-save @node-llama-cpp/linux-x64-vulkan@3.22.1 (Windows: win-x64-vulkan), with a Vulkan driver",
    metal: "Metal is macOS's: on a Mac, npm ci installs it"
};

/**
 * The process-wide llama.cpp binding for a backend choice: `auto` is node-llama-cpp's choice
 * among the prebuilt binaries installed (a GPU backend where one works, else the CPU); never built
 * or downloaded at run time. A named backend this machine cannot run is a usage error.
 *
 * `maxThreads: 0` lifts node-llama-cpp's global thread cap so that each context's `threads` setting
 * is the exact number of threads it uses; without it, contexts share a pool sized
 * `max(cores, 4)`, which made decoding ~100× slower on a 2-core machine.
 */
export function getEngineLlama(gpu: GpuChoice = DEFAULT_GPU): Promise<Llama> {
    let llama = llamas.get(gpu);
    if (llama == null) {
        llama = loadLlama(gpu);
        llamas.set(gpu, llama);
    }
    return llama;
}

async function loadLlama(gpu: GpuChoice): Promise<Llama> {
    let llama: Llama;
    try {
        llama = await getLlama({
            gpu: gpu === "off" ? false : gpu,
            build: "never",
            cmakeOptions: {...LLAMA_CMAKE_OPTIONS},
            // Its own "binary not found" lines would come before our one-line error.
            progressLogs: false,
            maxThreads: 0,
            // llama.cpp's own errors are kept and folded into our one-line messages (see
            // takeNativeError) rather than printed raw; its warnings (e.g. a context longer than the
            // training length, which the user chose) are dropped. BILD_DEBUG shows everything.
            logLevel: process.env.BILD_DEBUG ? LlamaLogLevel.debug : LlamaLogLevel.error,
            logger(level, message) {
                if (process.env.BILD_DEBUG)
                    process.stderr.write(`[llama.cpp ${level}] ${message}\n`);
                else if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
                    firstNativeError ??= message.trim();
            }
        });
    } catch (error) {
        if (gpu !== "auto" && gpu !== "off")
            throw noBackend(gpu);
        if (error instanceof NoBinaryFoundError)
            throw new BildUsageError(`no prebuilt llama.cpp binary is installed for ${process.platform} ${process.arch}: run node scripts/install-platform-binaries.mjs ` +
                "(npm ci runs it unless install scripts are off), or build one: npx --no node-llama-cpp source download");
        throw error;
    }
    // node-llama-cpp falls back to the CPU for a backend the platform does not have.
    if (gpu !== "auto" && gpu !== "off" && llama.gpu !== gpu) {
        await llama.dispose();
        throw noBackend(gpu);
    }
    return llama;
}

const noBackend = (gpu: keyof typeof BACKEND_INSTALL) =>
    new BildUsageError(`--gpu ${gpu}: no ${gpu} build of llama.cpp works on this machine; ${BACKEND_INSTALL[gpu]}, or use --gpu auto`);

/** The first error llama.cpp logged since the previous call, if any. */
export async function takeNativeError(): Promise<string | undefined> {
    // Native log lines reach JavaScript through a thread-safe callback, a turn of the event loop
    // after the call that logged them has already failed.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const message = firstNativeError;
    firstNativeError = undefined;
    return message;
}
