import {stat} from "node:fs/promises";
import {readGgufFileInfo} from "node-llama-cpp";
import {BildUsageError, errorMessage} from "../errors.js";
import {GGUF_HEADER_BYTES} from "./resolveModelFile.js";

/** The parts of a GGUF tokenizer that must agree for two models to exchange token ids. */
export type VocabularyFacts = {
    readonly filePath: string,
    readonly tokens: readonly string[],
    readonly bosTokenId: number | undefined,
    readonly eosTokenId: number | undefined
};

export async function readVocabularyFacts(filePath: string): Promise<VocabularyFacts> {
    let info;
    try {
        info = await readGgufFileInfo(filePath, {readTensorInfo: false});
    } catch (error) {
        throw new BildUsageError(`cannot read the GGUF header of ${filePath}: ${errorMessage(error)} (is the file complete?)`);
    }
    // node-llama-cpp's reader pads a file cut short with zeros instead of failing.
    const {size} = await stat(filePath);
    if (GGUF_HEADER_BYTES + info.metadataSize > size)
        throw new BildUsageError(`${filePath} is truncated: its metadata alone takes ${GGUF_HEADER_BYTES + info.metadataSize} bytes, the file has ${size} (re-download or re-export it)`);
    const tokenizer = info.metadata.tokenizer?.ggml;
    if (tokenizer?.tokens == null)
        throw new BildUsageError(`${filePath} has no tokenizer metadata (tokenizer.ggml.tokens): the file is truncated or not a language model; re-download or re-export it`);
    return {
        filePath,
        tokens: tokenizer.tokens,
        bosTokenId: tokenizer.bos_token_id,
        eosTokenId: tokenizer.eos_token_id
    };
}

/**
 * Throws unless both models use the same vocabulary: BiLD passes token ids from one model to the
 * other, so a single differing token would silently corrupt the output.
 */
export function checkSharedTokenizer(big: VocabularyFacts, little: VocabularyFacts): void {
    const names = `big ${big.filePath} vs little ${little.filePath}`;
    const fix = "both models must share one tokenizer (use models from the same family)";
    const shorter = Math.min(big.tokens.length, little.tokens.length);
    let firstDifferent = 0;
    while (firstDifferent < shorter && big.tokens[firstDifferent] === little.tokens[firstDifferent])
        firstDifferent++;
    const sizes = big.tokens.length === little.tokens.length
        ? ""
        : `vocabulary sizes differ (${big.tokens.length} vs ${little.tokens.length}), `;
    if (firstDifferent < shorter)
        throw new BildUsageError(
            `tokenizer mismatch: ${sizes}token ${firstDifferent} is ${JSON.stringify(big.tokens[firstDifferent])} vs ` +
            `${JSON.stringify(little.tokens[firstDifferent])}, ${names}; ${fix}`
        );
    if (sizes !== "")
        throw new BildUsageError(`tokenizer mismatch: ${sizes}first extra token ${shorter}, ${names}; ${fix}`);
    if (big.bosTokenId !== little.bosTokenId || big.eosTokenId !== little.eosTokenId)
        throw new BildUsageError(
            `tokenizer mismatch: special tokens differ (BOS ${big.bosTokenId} vs ${little.bosTokenId}, ` +
            `EOS ${big.eosTokenId} vs ${little.eosTokenId}), ${names}; ${fix}`
        );
}
