import path from "node:path";
import {fileURLToPath} from "node:url";

// The Python pair ships in the repository's models/ folder (see models/README.md) so every command
// works with no flags, no ../shared and no network. This file runs from dist/src/cli/, three
// levels below the root.
const MODELS_FOLDER = new URL("../../../models/", import.meta.url);

export const BUNDLED_BIG_MODEL = fileURLToPath(new URL("py-big.gguf", MODELS_FOLDER));
export const BUNDLED_LITTLE_MODEL = fileURLToPath(new URL("py-little.gguf", MODELS_FOLDER));

/** How `--help` names a bundled default: "bundled py-big.gguf". */
export const bundledLabel = (file: string) => `bundled ${path.basename(file)}`;
