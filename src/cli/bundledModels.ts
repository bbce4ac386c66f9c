import {fileURLToPath} from "node:url";

// The code pair ships in the repository's models/ folder so the CLI works with no flags, no
// ../shared and no network. This file runs from dist/src/cli/, three levels below the root.
const MODELS_FOLDER = new URL("../../../models/", import.meta.url);

export const BUNDLED_BIG_MODEL = fileURLToPath(new URL("code-big.gguf", MODELS_FOLDER));
export const BUNDLED_LITTLE_MODEL = fileURLToPath(new URL("code-little.gguf", MODELS_FOLDER));
