import {access} from "node:fs/promises";
import path from "node:path";
import {ModelPair} from "../../src/engine/ModelPair.js";
import {Decoder} from "../../src/decoding/Decoder.js";
import {DEFAULT_NATIVE_BIN_DIR, NativeTools} from "../../src/eval/nativeTools.js";
import {BUNDLED_PAIR} from "./fixtures.js";

/** Why suites that run llama.cpp's own tools skip, or false where `npm run build:native` built them. */
export const nativeToolsMissing = await access(path.join(DEFAULT_NATIVE_BIN_DIR, "llama-speculative-simple"))
    .then(() => false as const, () => "llama.cpp's tools are not built (npm run build:native)");

/** The bundled pair, a decoder of it and llama.cpp's tools on the same files and threads. */
export type NativeFixture = {readonly pair: ModelPair, readonly decoder: Decoder, readonly native: NativeTools, dispose(): Promise<void>};

export async function loadNativeFixture(): Promise<NativeFixture> {
    const pair = await ModelPair.load(BUNDLED_PAIR);
    const decoder = Decoder.fromPair(pair);
    const native = await NativeTools.find(DEFAULT_NATIVE_BIN_DIR, {
        big: pair.big.filePath, little: pair.little.filePath, bigThreads: pair.big.threads, littleThreads: 1,
        contextSize: pair.contextSize, batchSize: 512
    });
    const dispose = async () => {
        await decoder[Symbol.asyncDispose]();
        await pair[Symbol.asyncDispose]();
    };
    if (typeof native === "string") {
        await dispose();
        throw new Error(native);
    }
    return {pair, decoder, native, dispose};
}
