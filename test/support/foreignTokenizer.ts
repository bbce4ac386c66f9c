import {execFile} from "node:child_process";
import {mkdtemp, rm} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {BUNDLED_PAIR, ROOT} from "./fixtures.js";

/** A token of the bundled vocabulary and the text that replaces it in the foreign copy. */
export const FOREIGN_TOKEN = {id: 300, text: "<|not-in-bundled|>"};

/**
 * Writes a copy of the bundled little model whose vocabulary differs in one token
 * (`scripts/edit-token.mjs`), so the tokenizer-mismatch error is tested with nothing beside the
 * repository. Disposing removes it.
 */
export async function writeForeignTokenizerModel(): Promise<{path: string} & AsyncDisposable> {
    const folder = await mkdtemp(path.join(tmpdir(), "bild-foreign-"));
    const file = path.join(folder, "foreign-tokenizer.gguf");
    await promisify(execFile)(process.execPath, [`${ROOT}scripts/edit-token.mjs`, BUNDLED_PAIR.little, file, "--token", `${FOREIGN_TOKEN.id}=${FOREIGN_TOKEN.text}`]);
    return {path: file, [Symbol.asyncDispose]: () => rm(folder, {recursive: true, force: true})};
}
