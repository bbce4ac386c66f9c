import {execFile} from "node:child_process";
import {mkdtemp, rm} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {BUNDLED_PAIR, ROOT} from "./fixtures.js";

/** Entries in the bundled models' vocabulary. */
export const BUNDLED_VOCABULARY = 4096;

/** A token of the bundled vocabulary and the text that replaces it in the foreign copy. */
export const FOREIGN_TOKEN = {id: 300, text: "<|not-in-bundled|>"};

/** ChatML, as Qwen2.5-Instruct's template writes a conversation. */
const CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

type PairFixture = {
    /** Which bundled model the copy is made from, and so which one it replaces in the pair. */
    readonly role: "big" | "little",
    readonly script: "pad-vocab.mjs" | "edit-gguf.mjs",
    readonly args: readonly string[],
    /** Whether llama.cpp's draft-model rule (and so bild) pairs the copy with the other bundled model. */
    readonly accepted: boolean,
    /** What real pair it stands for. */
    readonly like: string
};

/**
 * Copies of a bundled model that make pairs behave like the ones users bring, derived at test time
 * (nothing committed): the weights are the bundled model's, only the vocabulary or its metadata
 * changes. A padded copy's extra entries have zero embedding and output rows (logit 0), so they
 * are rare but real choices when sampling hot.
 */
export const PAIR_FIXTURES = {
    bigPadded128: {
        role: "big", script: "pad-vocab.mjs", args: ["--vocab", String(BUNDLED_VOCABULARY + 128)], accepted: true,
        like: "Qwen2.5-7B beside Qwen2.5-0.5B: 128 padding entries more"
    },
    littlePadded128: {
        role: "little", script: "pad-vocab.mjs", args: ["--vocab", String(BUNDLED_VOCABULARY + 128)], accepted: true,
        like: "a little model padded further than its big model"
    },
    bigPadded129: {
        role: "big", script: "pad-vocab.mjs", args: ["--vocab", String(BUNDLED_VOCABULARY + 129)], accepted: false,
        like: "one entry past llama.cpp's limit"
    },
    bigOtherEos: {
        role: "big", script: "edit-gguf.mjs", args: ["--set", "tokenizer.ggml.eos_token_id=4093"], accepted: true,
        like: "an instruct big model beside a base little one (Llama-3.x: EOS 128009 vs 128001), neither adding EOS"
    },
    bigWithoutBos: {
        role: "big", script: "edit-gguf.mjs", args: ["--set", "tokenizer.ggml.add_bos_token=false"], accepted: false,
        like: "a big model that adds no BOS beside a little one that does"
    },
    bigInstruct: {
        role: "big", script: "edit-gguf.mjs", args: ["--set", `tokenizer.chat_template=${CHATML_TEMPLATE}`, "--set", "tokenizer.ggml.eot_token_id=10"],
        accepted: true, like: "an instruct big model with a ChatML template; its end-of-turn token is the newline, which the bundled model writes often"
    },
    foreignTokenizer: {
        role: "little", script: "edit-gguf.mjs", args: ["--token", `${FOREIGN_TOKEN.id}=${FOREIGN_TOKEN.text}`], accepted: false,
        like: "a model of another family"
    }
} as const satisfies Record<string, PairFixture>;

export type PairFixtureName = keyof typeof PAIR_FIXTURES;

/** The fixture's GGUF file and the pair it makes with the other bundled model; disposing removes the file. */
export type DerivedPair = {readonly path: string, readonly big: string, readonly little: string} & AsyncDisposable;

export async function writePairFixture(name: PairFixtureName): Promise<DerivedPair> {
    const fixture: PairFixture = PAIR_FIXTURES[name];
    const folder = await mkdtemp(path.join(tmpdir(), "bild-pair-"));
    const file = path.join(folder, `${name}.gguf`);
    await promisify(execFile)(process.execPath, [`${ROOT}scripts/${fixture.script}`, BUNDLED_PAIR[fixture.role], file, ...fixture.args]);
    return {path: file, ...BUNDLED_PAIR, [fixture.role]: file, [Symbol.asyncDispose]: () => rm(folder, {recursive: true, force: true})};
}
