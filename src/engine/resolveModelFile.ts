import {open, stat} from "node:fs/promises";
import path from "node:path";
import {resolveModelFile as resolveRemoteModelFile} from "node-llama-cpp";
import {BildUsageError, errorMessage} from "../errors.js";

const GGUF_MAGIC = "GGUF";
/** Magic, version, tensor count and metadata entry count. */
export const GGUF_HEADER_BYTES = 24;
/** The fewest bytes a metadata entry (empty key, type, a one-byte value) and a tensor's info (empty name, no dimensions, type, offset) take. */
const MIN_ENTRY_BYTES = 13;
const MIN_TENSOR_INFO_BYTES = 24;
const REMOTE_URI_PATTERN = /^(hf:|huggingface:|https?:\/\/)/;

/** Called as a model file downloads. */
export type DownloadProgress = (status: {totalSize: number, downloadedSize: number}) => void;

/**
 * Turns what the user named (a local path, or an `hf:owner/repo:quant` / URL model URI that
 * node-llama-cpp resolves and downloads into its model cache) into the path of a readable GGUF file.
 *
 * Local files are checked up front so that a typo or a wrong file is one clear message, not a
 * native loader failure.
 */
export async function resolveModelFile(nameOrUri: string, role: string, onDownloadProgress?: DownloadProgress): Promise<string> {
    if (REMOTE_URI_PATTERN.test(nameOrUri)) {
        try {
            // node-llama-cpp's own progress display writes to standard output, where the CLI's text and JSON go.
            return await resolveRemoteModelFile(nameOrUri, {cli: false, onProgress: onDownloadProgress});
        } catch (error) {
            throw new BildUsageError(`cannot resolve the ${role} model URI "${nameOrUri}": ${errorMessage(error)}`);
        }
    }
    const filePath = path.resolve(nameOrUri);
    await assertGgufFile(filePath, role);
    return filePath;
}

async function assertGgufFile(filePath: string, role: string): Promise<void> {
    let handle;
    try {
        if ((await stat(filePath)).isDirectory())
            throw Object.assign(new Error("is a directory"), {code: "EISDIR"});
        handle = await open(filePath, "r");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT")
            throw new BildUsageError(`${role} model file not found: ${filePath} (check the path)`);
        if (code === "EISDIR")
            throw new BildUsageError(`${role} model path is a directory, not a file: ${filePath} (name the .gguf file)`);
        throw new BildUsageError(`cannot read the ${role} model file ${filePath}: ${code ?? errorMessage(error)} (check its permissions)`);
    }
    try {
        const header = Buffer.alloc(GGUF_HEADER_BYTES);
        const {bytesRead} = await handle.read(header, 0, header.length, 0);
        if (bytesRead < GGUF_MAGIC.length || header.toString("latin1", 0, GGUF_MAGIC.length) !== GGUF_MAGIC)
            throw new BildUsageError(`${role} model file is not a GGUF file: ${filePath} (convert it to GGUF, e.g. with llama.cpp's convert_hf_to_gguf.py)`);
        const corrupt = (what: string) => new BildUsageError(`${role} model file is truncated or corrupt: ${filePath} ${what} (re-download or re-export it)`);
        if (bytesRead < GGUF_HEADER_BYTES)
            throw corrupt(`ends inside its ${GGUF_HEADER_BYTES}-byte header`);
        // The header's counts drive the metadata reader: checked against the file's size first, so
        // that a crafted header cannot make it read (and allocate) without end.
        const size = (await handle.stat()).size;
        const tensors = header.readBigUInt64LE(8);
        const entries = header.readBigUInt64LE(16);
        const fewestBytes = BigInt(GGUF_HEADER_BYTES) + tensors * BigInt(MIN_TENSOR_INFO_BYTES) + entries * BigInt(MIN_ENTRY_BYTES);
        if (fewestBytes > BigInt(size))
            throw corrupt(`declares ${tensors} tensors and ${entries} metadata entries, more than its ${size} bytes can hold`);
    } catch (error) {
        if (error instanceof BildUsageError)
            throw error;
        throw new BildUsageError(`cannot read the ${role} model file ${filePath}: ${errorMessage(error)}`);
    } finally {
        await handle.close();
    }
}
