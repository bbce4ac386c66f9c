// The worker thread of `BackgroundTokenizer`: a vocabulary-only copy of the model (no weights),
// tokenizing the texts the main thread sends.
import {parentPort, workerData} from "node:worker_threads";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

export type TokenizeRequest = {readonly id: number, readonly text: string, readonly specialTokens: boolean};
export type TokenizeReply = {readonly id: number, readonly tokens: readonly number[]} | {readonly ready: true};

const llama = await getLlama({gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error, logger() {}});
const model = await llama.loadModel({modelPath: (workerData as {modelPath: string}).modelPath, vocabOnly: true});
parentPort!.on("message", ({id, text, specialTokens}: TokenizeRequest) => {
    parentPort!.postMessage({id, tokens: model.tokenize(text, specialTokens)} satisfies TokenizeReply);
});
parentPort!.postMessage({ready: true} satisfies TokenizeReply);
