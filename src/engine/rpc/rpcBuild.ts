/**
 * The llama.cpp build options of bild's own addon build (`npm run build:addon`, which sets the same
 * through node-llama-cpp's NODE_LLAMA_CPP_CMAKE_OPTION_ variables): llama.cpp's RPC backend, for
 * `--big-rpc`. node-llama-cpp files local builds by their options, so every `getLlama` of this
 * process asks for these to load that build (and falls back to the prebuilt binary without it).
 */
export const LLAMA_CMAKE_OPTIONS: Readonly<Record<string, string>> = {GGML_RPC: "ON"};
