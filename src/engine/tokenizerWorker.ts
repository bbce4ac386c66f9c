// The worker thread of `BackgroundTokenizer`: a vocabulary-only copy of the model (no weights),
// tokenizing the texts the main thread sends, until it is asked to close.
import {parentPort, workerData} from "node:worker_threads";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {LLAMA_CMAKE_OPTIONS} from "./rpc/rpcBuild.js";

export type TokenizeRequest = {readonly id: number, readonly text: string, readonly specialTokens: boolean} | {readonly close: true};
export type TokenizeReply = {readonly id: number, readonly tokens: readonly number[]} | {readonly ready: true};

const llama = await getLlama({gpu: false, build: "never", cmakeOptions: {...LLAMA_CMAKE_OPTIONS}, progressLogs: false, logLevel: LlamaLogLevel.error, logger() {}});
const model = await llama.loadModel({modelPath: (workerData as {modelPath: string}).modelPath, vocabOnly: true});
parentPort!.on("message", (request: TokenizeRequest) => {
    if ("close" in request) {
        // Freed here and the thread left to end by itself: terminating it from outside while the
        // addon holds native state aborts the whole process on some llama.cpp builds (a source build
        // of node-llama-cpp's addon throws from the worker's teardown). The shared llama.cpp backend
        // stays: the main thread's models use it.
        void model.dispose().finally(() => parentPort!.close());
        return;
    }
    parentPort!.postMessage({id: request.id, tokens: model.tokenize(request.text, request.specialTokens)} satisfies TokenizeReply);
});
parentPort!.postMessage({ready: true} satisfies TokenizeReply);
