import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {Decoder} from "../../src/decoding/Decoder.js";
import type {GenerateOptions} from "../../src/decoding/GenerateOptions.js";
import {ModelPair} from "../../src/engine/ModelPair.js";
import {DECODING_SETTINGS} from "../../src/decoding/settings/decodingSettings.js";
import {BildUsageError} from "../../src/errors.js";
import {readFixturePrompts} from "../support/fixtures.js";
import {BUNDLED_VOCABULARY, FOREIGN_TOKEN, PAIR_FIXTURES, writePairFixture, type PairFixtureName} from "../support/pairFixtures.js";
import {assertUsageError, runCli} from "../support/runCli.js";
import {assertSameOutputTieAware} from "../support/tieAware.js";

const PROMPTS = readFixturePrompts(4);
const LOSSLESS: GenerateOptions[] = [
    {mode: "bild"}, {mode: "bild", fallbackThreshold: 0.6, rollbackThreshold: 0}, {mode: "speculative"}, {mode: "lookup"}, {mode: "bild", drafters: "lookup+little", lookupNgram: 2},
    {mode: "ngram"}, {mode: "bild", drafters: "ngram+little"}
];
/** Modes whose little model drafts (and so takes `draftPenalty`). */
const takesDraftPenalty = (options: GenerateOptions) => (DECODING_SETTINGS.draftPenalty.modes as readonly string[]).includes(options.mode ?? "bild");
/** Each lossless mode runs plain and under these penalties (the little model drafting under them, then not). */
const PENALTIES: GenerateOptions[] = [{}, {repeatPenalty: 1.3, repeatLastN: 32, frequencyPenalty: 0.2}, {repeatPenalty: 1.3, repeatLastN: 32, draftPenalty: false}];

/** What each refused fixture's error must say. */
const REFUSALS: Partial<Record<PairFixtureName, RegExp>> = {
    bigPadded129: /vocabulary sizes differ by 129 \(4225 vs 4096\), more than the 128 padding entries allowed/,
    bigWithoutBos: /the big model does not add BOS to a prompt and the little model does.*tokenizer\.ggml\.add_bos_token/,
    foreignTokenizer: new RegExp(`token ${FOREIGN_TOKEN.id} is ".*" vs "${FOREIGN_TOKEN.text.replace(/\|/g, "\\|")}"`)
};

describe("pairs that behave like real ones, derived from the bundled pair at test time", () => {
    for (const [name, fixture] of Object.entries(PAIR_FIXTURES) as [PairFixtureName, (typeof PAIR_FIXTURES)[PairFixtureName]][]) {
        if (!fixture.accepted) {
            it(`${name} (${fixture.like}) is refused as llama.cpp refuses it: one line naming both files, exit 2`, async () => {
                await using derived = await writePairFixture(name);
                await assert.rejects(ModelPair.load(derived), (error: unknown) =>
                    error instanceof BildUsageError && REFUSALS[name]!.test(error.message) &&
                    error.message.includes(derived.big) && error.message.includes(derived.little));
                assertUsageError(await runCli(["generate", "--prompt", "x", "--big", derived.big, "--little", derived.little]), REFUSALS[name]!);
            });
            continue;
        }
        it(`${name} (${fixture.like}) is accepted, and lossless decoding writes the big model's output, with and without a penalty`, async () => {
            await using derived = await writePairFixture(name);
            await using pair = await ModelPair.load(derived);
            await using decoder = Decoder.fromPair(pair);
            for (const {prompt} of PROMPTS)
                for (const penalty of PENALTIES) {
                    const {draftPenalty: _, ...bigPenalty} = penalty;
                    const big = await decoder.generate(prompt, {mode: "big", maxTokens: 64, ...bigPenalty});
                    for (const options of LOSSLESS) {
                        // Lookup and n-gram modes draft with no model, so the little model's penalty is not their setting.
                        const settings = {...options, ...(takesDraftPenalty(options) ? penalty : bigPenalty), maxTokens: 64};
                        const {tokens} = await decoder.generate(prompt, settings);
                        // Batched and one-token logits differ in their last digits: only a proven near-tie may flip.
                        await assertSameOutputTieAware(
                            decoder, pair.big, "big", pair.tokenizer.encodePrompt(prompt), tokens, big.tokens,
                            `${JSON.stringify(settings)} on ${JSON.stringify(prompt)}`, bigPenalty
                        );
                    }
                }
        });
    }

    it("generate --chat applies the big model's chat template, with --system, and stops at its end-of-turn token", async () => {
        await using derived = await writePairFixture("bigInstruct");
        const generate = async (...args: string[]) => {
            const run = await runCli(["generate", "--big", derived.big, "--little", derived.little, "--max-tokens", "40", "--json", ...args]);
            assert.equal(run.code, 0, run.stderr);
            const {tokens, finishReason} = JSON.parse(run.stdout) as {tokens: number[], finishReason: string};
            return {tokens, finishReason};
        };
        const chat = await generate("--chat", "--system", "You write Python.", "--prompt", "Write a stack class.");
        const formatted = await generate("--prompt", "<|im_start|>system\nYou write Python.<|im_end|>\n<|im_start|>user\nWrite a stack class.<|im_end|>\n<|im_start|>assistant\n");
        assert.deepEqual(chat, formatted);
        assert.equal(chat.finishReason, "eos");
        assert.equal(chat.tokens.at(-1), 10, "ended at the end-of-turn token");
        assert.ok(chat.tokens.length < 40);
    });

    it("generate --chat on a model without a template uses the plain format the server uses", async () => {
        const generate = async (...args: string[]) => {
            const run = await runCli(["generate", "--max-tokens", "40", "--json", ...args]);
            assert.equal(run.code, 0, run.stderr);
            return (JSON.parse(run.stdout) as {tokens: number[]}).tokens;
        };
        assert.deepEqual(await generate("--chat", "--system", "Be brief.", "--prompt", "Write a stack class."),
            await generate("--prompt", "System: Be brief.\nUser: Write a stack class.\nAssistant:", "--stop", "\nUser:"));
        assertUsageError(await runCli(["generate", "--system", "Be brief.", "--prompt", "x"]), /--system gives a chat's system message: add --chat/);
    });

    for (const name of ["bigPadded128", "littlePadded128"] as const)
        it(`${name}: sampling over the whole padded vocabulary (--temperature 2 --top-k 0, several seeds) finishes, exit 0`, async () => {
            await using derived = await writePairFixture(name);
            let paddingIds = 0;
            for (const [mode, seed] of [["bild", 1], ["bild", 2], ["speculative", 3], ["big", 4], ["little", 5]] as const) {
                const run = await runCli(["generate", "--big", derived.big, "--little", derived.little, "--prompt", "def f(x):", "--mode", mode,
                    "--temperature", "2", "--top-k", "0", "--seed", String(seed), "--max-tokens", "200", "--json"]);
                assert.equal(run.code, 0, run.stderr);
                const {tokens} = JSON.parse(run.stdout) as {tokens: number[]};
                assert.equal(tokens.length, 200);
                paddingIds += tokens.filter((token) => token >= BUNDLED_VOCABULARY).length;
            }
            // Only the big model may write padding ids; the little model's are never drafted.
            if (name === "bigPadded128")
                assert.ok(paddingIds > 0, "no padding id was sampled: the runs did not exercise them");
            else
                assert.equal(paddingIds, 0);
        });
});
