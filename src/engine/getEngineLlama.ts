import {getLlama, LlamaLogLevel, type Llama} from "node-llama-cpp";

let llamaPromise: Promise<Llama> | undefined;
let firstNativeError: string | undefined;

/**
 * The process-wide llama.cpp binding: CPU only, never built or downloaded at run time.
 *
 * `maxThreads: 0` lifts node-llama-cpp's global thread cap so that each context's `threads` setting
 * is the exact number of threads it uses; without it, contexts share a pool sized
 * `max(cores, 4)`, which made decoding ~100× slower on a 2-core machine.
 */
export function getEngineLlama(): Promise<Llama> {
    llamaPromise ??= getLlama({
        gpu: false,
        build: "never",
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
    return llamaPromise;
}

/** The first error llama.cpp logged since the previous call, if any. */
export async function takeNativeError(): Promise<string | undefined> {
    // Native log lines reach JavaScript through a thread-safe callback, a turn of the event loop
    // after the call that logged them has already failed.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const message = firstNativeError;
    firstNativeError = undefined;
    return message;
}
