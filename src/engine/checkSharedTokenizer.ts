import {stat} from "node:fs/promises";
import {readGgufFileInfo} from "node-llama-cpp";
import {BildUsageError, errorMessage} from "../errors.js";
import {getEngineLlama, takeNativeError} from "./getEngineLlama.js";
import {GGUF_HEADER_BYTES} from "./resolveModelFile.js";
import type {GpuChoice} from "./EngineSettings.js";

/**
 * How far two vocabularies' sizes may differ: converters pad a vocabulary to the embedding size
 * (Qwen2.5-0.5B has 151,936 entries, Qwen2.5-7B 152,064). The limit is llama.cpp's own
 * (`SPEC_VOCAB_MAX_SIZE_DIFFERENCE` in common/speculative.cpp), so a pair its speculative decoding
 * accepts is accepted here.
 */
export const MAX_VOCABULARY_SIZE_DIFFERENCE = 128;
/**
 * Token texts are compared from this id on: the first few ids are special tokens that differ
 * harmlessly between releases of one family (llama.cpp's `SPEC_VOCAB_CHECK_START_TOKEN_ID`).
 */
export const FIRST_COMPARED_TOKEN = 5;

/** The parts of a GGUF tokenizer that must agree for two models to exchange token ids. */
export type VocabularyFacts = {
    readonly filePath: string,
    /** llama.cpp's tokenizer type (`bpe`, `spm`, …). */
    readonly type: string,
    readonly tokens: readonly string[],
    readonly bosTokenId: number | undefined,
    readonly eosTokenId: number | undefined,
    /** Whether llama.cpp prepends BOS to a prompt (the GGUF's flag, or the tokenizer type's default). */
    readonly addsBos: boolean,
    /** Whether llama.cpp appends EOS to a prompt. */
    readonly addsEos: boolean
};

/** Reads a model's vocabulary: token texts from the GGUF header, type and BOS/EOS rules as llama.cpp resolves them. */
export async function readVocabularyFacts(filePath: string, gpu?: GpuChoice): Promise<VocabularyFacts> {
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
    // The vocabulary alone (no weights) tells what llama.cpp makes of flags the GGUF may leave out.
    const llama = await getEngineLlama(gpu);
    let vocabulary;
    await takeNativeError();
    try {
        vocabulary = await llama.loadModel({modelPath: filePath, vocabOnly: true});
    } catch (error) {
        const reason = await takeNativeError() ?? errorMessage(error);
        throw new BildUsageError(`llama.cpp cannot load ${filePath}: ${reason} (is it a complete GGUF model of a supported architecture?)`);
    }
    try {
        return {
            filePath,
            type: String(vocabulary.vocabularyType),
            tokens: tokenizer.tokens,
            bosTokenId: vocabulary.tokens.bos ?? undefined,
            eosTokenId: vocabulary.tokens.eos ?? undefined,
            addsBos: vocabulary.tokens.shouldPrependBosToken,
            addsEos: vocabulary.tokens.shouldAppendEosToken
        };
    } finally {
        await vocabulary.dispose();
    }
}

/**
 * Throws unless the models can exchange token ids, by llama.cpp's rules for a draft model: the
 * same tokenizer type, the same BOS/EOS handling, sizes within
 * {@link MAX_VOCABULARY_SIZE_DIFFERENCE}, and equal texts for every id both have from
 * {@link FIRST_COMPARED_TOKEN} on. BiLD passes ids from one model to the other, so a differing
 * token would silently corrupt the output; ids only one model has are kept from the other
 * (see `SharedVocabularySequence`).
 */
export function checkSharedTokenizer(big: VocabularyFacts, little: VocabularyFacts): void {
    const names = `big ${big.filePath} vs little ${little.filePath}`;
    const fix = "both models must share one tokenizer (use models from the same family)";
    const mismatch = (what: string, howToFix = fix) => new BildUsageError(`tokenizer mismatch: ${what}, ${names}; ${howToFix}`);
    if (big.type !== little.type)
        throw mismatch(`tokenizer types differ (${big.type} vs ${little.type})`);
    for (const [name, adds, id] of [["BOS", "addsBos", "bosTokenId"], ["EOS", "addsEos", "eosTokenId"]] as const) {
        const flag = name === "BOS" ? "add_bos_token" : "add_eos_token";
        if (big[adds] !== little[adds])
            throw mismatch(
                `the big model ${big[adds] ? "adds" : "does not add"} ${name} to a prompt and the little model ${little[adds] ? "does" : "does not"}`,
                `set tokenizer.ggml.${flag} alike in both GGUF files (llama.cpp's gguf_set_metadata.py), or use models from the same family`
            );
        if (big[adds] && big[id] !== little[id])
            throw mismatch(`both models add ${name} but its id differs (${big[id]} vs ${little[id]})`);
    }
    const difference = Math.abs(big.tokens.length - little.tokens.length);
    if (difference > MAX_VOCABULARY_SIZE_DIFFERENCE)
        throw mismatch(
            `vocabulary sizes differ by ${difference} (${big.tokens.length} vs ${little.tokens.length}), more than the ` +
            `${MAX_VOCABULARY_SIZE_DIFFERENCE} padding entries allowed`
        );
    const shared = Math.min(big.tokens.length, little.tokens.length);
    for (let id = FIRST_COMPARED_TOKEN; id < shared; id++)
        if (big.tokens[id] !== little.tokens[id])
            throw mismatch(`token ${id} is ${JSON.stringify(big.tokens[id])} vs ${JSON.stringify(little.tokens[id])}`);
}
