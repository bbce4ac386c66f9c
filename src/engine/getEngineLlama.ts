import {getLlama, LlamaLogLevel, type Llama} from "node-llama-cpp";

let llamaPromise: Promise<Llama> | undefined;

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
        // llama.cpp warns on every context longer than the model's training length; that is a
        // choice the user made, not something to print on each load.
        logLevel: LlamaLogLevel.error
    });
    return llamaPromise;
}
