import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {chmod, mkdtemp, readFile, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {NativeTools, type NativeModels} from "../../src/eval/nativeTools.js";

const MODELS: NativeModels = {big: "big.gguf", little: "little.gguf", bigThreads: 2, littleThreads: 1, contextSize: 512, batchSize: 512};

/**
 * Stand-ins for llama.cpp's tools that print what the real ones print (log lines copied from
 * version 0.5.0 runs) and record their arguments, so the parsing and the command lines are checked
 * without a native build.
 */
const COMPLETION = `#!/bin/sh
printf '%s\\n' "$@" > "$0.args"
printf ' = 1\\n'
echo "0.00.781.957 I common_perf_print: prompt eval time =     261.84 ms /   295 tokens (    0.89 ms per token,  1126.63 tokens per second)" >&2
echo "0.00.781.958 I common_perf_print:        eval time =     448.60 ms /   127 runs   (    3.53 ms per token,   283.10 tokens per second)" >&2
`;
const speculative = (prompt: string) => `#!/bin/sh
printf '%s\\n' "$@" > "$0.args"
printf '\\n\\n<|bos|>%s = 1\\n' '${prompt}'
echo "0.01.749.041 I encoded  295 tokens in    0.824 seconds, speed:  358.012 t/s" >&2
echo "0.01.749.059 I decoded   10 tokens in    0.176 seconds, speed:   57.917 t/s" >&2
echo "0.01.749.086 I n_draft   = 3" >&2
echo "0.01.749.112 I n_drafted = 35" >&2
echo "0.01.749.126 I n_accept  = 24" >&2
`;

type LogEntry = {readonly level: "none" | "info", readonly msg: string, readonly time: number};

/** A stand-in for llama-speculative-simple, which bild runs with `--log-jsonl`: every entry a JSON line on standard output. */
const jsonLogTool = (entries: readonly LogEntry[]) => `#!/bin/sh
printf '%s\\n' "$@" > "$0.args"
cat <<'EOF'
{"type":"fit_memory_breakdown","data":{}}
${entries.map((entry) => JSON.stringify({type: "log", ...entry})).join("\n")}
EOF
`;
const timings = (encoded: number, decoded: number, drafted: number, accepted: number, time: number): LogEntry[] => [
    `encoded  ${encoded} tokens in    0.824 seconds, speed:  358.012 t/s`, `decoded   ${decoded} tokens in    0.176 seconds, speed:   57.917 t/s`,
    `n_draft   = 3`, `n_drafted = ${drafted}`, `n_accept  = ${accepted}`
].map((msg) => ({level: "info", msg: `${msg}\n`, time}));
const SPECULATIVE_SIMPLE = jsonLogTool([
    ...[["\n\n", 1], ["<|bos|>", 2], ["x", 2], [" = 1\n", 3]].map(([msg, time]) => ({level: "none" as const, msg: msg as string, time: time as number})),
    ...timings(295, 10, 35, 24, 4)
]);

/** Writes stand-ins for the three tools into `dir`: `completion` for llama-completion, a speculative one for the others. */
async function writeTools(dir: string, completion: string): Promise<void> {
    for (const [tool, script] of [["llama-completion", completion], ["llama-speculative-simple", SPECULATIVE_SIMPLE], ["llama-speculative", speculative("x")]] as const) {
        await writeFile(path.join(dir, tool), script);
        await chmod(path.join(dir, tool), 0o755);
    }
}

describe("llama.cpp's own tools as bench rows", () => {
    let dir = "";
    before(async () => {
        dir = await mkdtemp(path.join(os.tmpdir(), "bild-native-test-"));
        await writeTools(dir, COMPLETION);
    });
    after(() => rm(dir, {recursive: true, force: true}));

    it("says how to build the tools when they are missing", async () => {
        const found = await NativeTools.find(path.join(dir, "nowhere"), MODELS);
        assert.equal(typeof found, "string");
        assert.match(found as string, /llama-completion is not in .*nowhere: build the native tools with `npm run build:native`/);
    });

    it("times the big model alone as the tool timed it, prompt included, and passes the prompt verbatim", async () => {
        const tools = await NativeTools.find(dir, MODELS) as NativeTools;
        const run = await tools.generate({tool: "llama-completion", flashAttention: false}, "x\n", 128);
        assert.deepEqual(run, {text: " = 1\n", tokens: 128, ms: 261.84 + 448.60});
        const args = (await readFile(path.join(dir, "llama-completion.args"), "utf8")).split("\n");
        const after = (flag: string) => args[args.indexOf(flag) + 1];
        // The prompt's last newline survives (`-f` would drop it) and escapes stay as written.
        assert.equal(args.slice(args.indexOf("-p") + 1, args.indexOf("-p") + 3).join("\n"), "x\n");
        assert.ok(args.includes("--no-escape") && args.includes("--no-display-prompt"));
        assert.deepEqual([after("-t"), after("-c"), after("-n"), after("-fa"), after("--temp")], ["2", "512", "128", "off", "0"]);
    });

    it("cuts the echoed prompt off a speculative tool's output and reads its acceptance", async () => {
        const tools = await NativeTools.find(dir, MODELS) as NativeTools;
        const run = await tools.generate({tool: "llama-speculative-simple", flashAttention: true, draftMax: 3}, "x", 8);
        assert.equal(run.text, " = 1\n");
        assert.equal(run.tokens, 10);
        assert.ok(Math.abs(run.ms - 1000) < 1e-9);
        assert.deepEqual([run.drafted, run.accepted], [35, 24]);
        const args = (await readFile(path.join(dir, "llama-speculative-simple.args"), "utf8")).split("\n");
        const after = (flag: string) => args[args.indexOf(flag) + 1];
        assert.deepEqual([after("-md"), after("-td"), after("--spec-draft-n-max"), after("--spec-type"), after("-fa")], ["little.gguf", "1", "3", "draft-simple", "on"]);
    });

    it("times llama-speculative-simple to the budget's last token, not the round it runs past the budget", async () => {
        const past = await mkdtemp(path.join(os.tmpdir(), "bild-native-past-"));
        try {
            // The tool's log: "\n\n", the prompt's 2 tokens, then 4 generated tokens logged as their rounds
            // end (2, then 1 reaching the budget of 3, then 1 more 31.096 ms later).
            const script = jsonLogTool([
                {level: "info", msg: "common_speculative_init_result: loading draft model\n", time: 100},
                ...[["\n\n", 150], ["<|bos|>", 151], ["x", 151], [" =", 9000], [" 1", 9001], ["\n", 20_500], ["y", 51_596], ["\n\n", 51_700]]
                    .map(([msg, time]) => ({level: "none" as const, msg: msg as string, time: time as number})),
                ...timings(2, 4, 70, 66, 51_701)
            ]);
            await writeTools(past, COMPLETION);
            await writeFile(path.join(past, "llama-speculative-simple"), script);
            const tools = await NativeTools.find(past, MODELS) as NativeTools;
            const run = await tools.generate({tool: "llama-speculative-simple", flashAttention: false, specType: "ngram-mod,draft-simple", draftMax: 8}, "x", 3);
            assert.equal(run.text, " = 1\ny\n\n");
            assert.deepEqual([run.tokens, run.generated, run.drafted, run.accepted], [3, 4, 70, 66]);
            assert.ok(Math.abs(run.ms - (1000 * (0.824 + 0.176) - 31.096)) < 1e-6, `${run.ms}`);
            const args = (await readFile(path.join(past, "llama-speculative-simple.args"), "utf8")).split("\n");
            assert.ok(args.includes("--log-jsonl"));
            // A budget it did not pass: the whole run, as the tool timed it.
            const whole = await tools.generate({tool: "llama-speculative-simple", flashAttention: false, specType: "ngram-mod", draftMax: 8}, "x", 4);
            assert.deepEqual([whole.tokens, whole.generated], [4, 4]);
            assert.ok(Math.abs(whole.ms - 1000) < 1e-6);
        } finally {
            await rm(past, {recursive: true, force: true});
        }
    });

    it("passes our sampling and penalty settings as llama.cpp's flags, its defaults written out, and n-gram types without the draft model", async () => {
        const tools = await NativeTools.find(dir, MODELS) as NativeTools;
        await tools.generate({tool: "llama-speculative-simple", flashAttention: false, specType: "ngram-mod"}, "x", 8,
            {temperature: 0.7, topP: 0.95, frequencyPenalty: -0.5, repeatPenalty: 1.2});
        const args = (await readFile(path.join(dir, "llama-speculative-simple.args"), "utf8")).split("\n");
        const after = (flag: string) => args[args.indexOf(flag) + 1];
        assert.deepEqual(
            ["--temp", "--top-p", "--top-k", "--min-p", "--seed", "--repeat-penalty", "--repeat-last-n", "--frequency-penalty", "--presence-penalty", "--spec-type"].map(after),
            ["0.7", "0.95", "40", "0", "1", "1.2", "64", "-0.5", "0", "ngram-mod"]
        );
        assert.ok(!args.includes("-md") && !args.includes("--spec-draft-n-max"), "no draft model for an n-gram drafter alone");
        await tools.generate({tool: "llama-speculative-simple", flashAttention: false, specType: "ngram-mod,draft-simple", draftMax: 3}, "x", 8);
        const combined = (await readFile(path.join(dir, "llama-speculative-simple.args"), "utf8")).split("\n");
        assert.equal(combined[combined.indexOf("-md") + 1], "little.gguf");
        assert.ok(!combined.includes("--top-p"), "greedy: no sampling flags");
    });

    it("runs a tool again when its log lacks the timing lines, and fails when they never come", async () => {
        const flaky = await mkdtemp(path.join(os.tmpdir(), "bild-native-flaky-"));
        try {
            // Prints its timings only on every second run, like a log thread that lost the race to exit.
            await writeTools(flaky, COMPLETION.replace("printf ' = 1\\n'", `printf ' = 1\\n'\nif [ -e "$0.ran" ]; then rm "$0.ran"; else touch "$0.ran"; exit 0; fi`));
            const tools = await NativeTools.find(flaky, MODELS) as NativeTools;
            assert.deepEqual(await tools.generate({tool: "llama-completion", flashAttention: true}, "x", 128), {text: " = 1\n", tokens: 128, ms: 261.84 + 448.60});
            await writeFile(path.join(flaky, "llama-completion"), "#!/bin/sh\necho run >> \"$0.runs\"\necho 'no timings' >&2\n");
            await assert.rejects(tools.generate({tool: "llama-completion", flashAttention: true}, "x", 128), /a native tool's log lacks its "prompt eval time" line/);
            assert.equal((await readFile(path.join(flaky, "llama-completion.runs"), "utf8")).trim().split("\n").length, 3, "three attempts");
        } finally {
            await rm(flaky, {recursive: true, force: true});
        }
    });

    it("fails clearly when a tool's output cannot be read", async () => {
        const tools = await NativeTools.find(dir, MODELS) as NativeTools;
        await assert.rejects(tools.generate({tool: "llama-speculative", flashAttention: true, draftMax: 8}, "another prompt", 8),
            /llama-speculative's output does not start with the prompt/);
    });
});
