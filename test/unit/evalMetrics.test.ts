import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {bleu, metricWords, rougeL} from "../../src/eval/textMetrics.js";
import {paretoFrontier} from "../../src/eval/paretoFrontier.js";
import {frontierSvg} from "../../src/eval/frontierPlot.js";
import {callCost, lookupOracleSchedule, oracleSchedule, rankAmong, scheduleCostMs} from "../../src/eval/oracleBound.js";
import {draftAgreement, lookupAgreement, repeatPredicted} from "../../src/eval/lookupAgreement.js";
import {NgramDrafter} from "../../src/decoding/drafters/NgramDrafter.js";
import {NgramMemory} from "../../src/decoding/drafters/NgramMemory.js";
import {parsePromptLines} from "../../src/eval/promptFile.js";
import {benchRowSpecs, parseBenchGrid, parseModes} from "../../src/eval/benchRows.js";
import {markdownTable} from "../../src/eval/benchReport.js";
import {isDecoderRow, type BenchRow} from "../../src/eval/benchTypes.js";
import {BildUsageError} from "../../src/errors.js";
import {benchRow} from "../support/benchRow.js";

const close = (actual: number, expected: number, digits = 2) =>
    assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} ≉ ${expected}`);

describe("text metrics (hand-computed)", () => {
    it("splits words like rouge-score: lower case, letters and digits", () => {
        assert.deepEqual(metricWords("The cat's 2 HATS, (on)!"), ["the", "cat", "s", "2", "hats", "on"]);
    });

    it("ROUGE-L F1 is the LCS over the word counts", () => {
        // LCS "the cat on the mat" = 5 of 6 words each side.
        close(rougeL("the cat sat on the mat", "the cat is on the mat"), 100 * 5 / 6);
        // LCS of "a b c" and "c b a" is one word.
        close(rougeL("a b c", "c b a"), 100 / 3);
        // P = 2/2, R = 2/4: F = 2PR/(P+R) = 2/3.
        close(rougeL("x y", "x q y r"), 100 * 2 / 3);
        assert.equal(rougeL("", "something"), 0);
        assert.equal(rougeL("same words", "Same, words!"), 100);
    });

    it("BLEU-4 with add-one smoothing above unigrams and the brevity penalty", () => {
        // p1 = 5/6, p2 = (3+1)/(5+1), p3 = (1+1)/(4+1), p4 = (0+1)/(3+1), no brevity penalty.
        close(bleu("the cat sat on the mat", "the cat is on the mat"), 100 * (5 / 6 * 4 / 6 * 2 / 5 * 1 / 4) ** 0.25);
        // All precisions 1 (empty 3- and 4-grams smooth to 1/1); brevity penalty exp(1 − 6/2).
        close(bleu("the cat", "the cat is on the mat"), 100 * Math.exp(-2));
        close(bleu("one two three four five", "one two three four five"), 100);
        assert.equal(bleu("zzz", "the cat"), 0, "no unigram match");
        assert.equal(bleu("", "the cat"), 0);
    });
});

describe("Pareto frontier", () => {
    it("keeps the points no other point beats on both axes, by increasing x", () => {
        const points = [{x: 1, y: 0}, {x: 2, y: -1}, {x: 1.5, y: -2}, {x: 0.5, y: 1}, {x: 2, y: -0.5}];
        assert.deepEqual(paretoFrontier(points), [3, 0, 4]);
        assert.deepEqual(paretoFrontier([{x: 1, y: 1}]), [0]);
        assert.deepEqual(paretoFrontier([]), []);
    });

    it("is drawn through the rows that ran: a bound is plotted, not named on the frontier", async () => {
        const row = (name: string, mode: BenchRow["mode"], speedup: number, rougeLDelta: number) =>
            benchRow(name, {mode, bound: mode === "oracle", tokensPerSecond: speedup, speedup, rougeL: rougeLDelta, rougeLDelta});
        const svg = await frontierSvg([
            row("big", "big", 1, 0), row("bild fast", "bild", 1.5, 0), row("oracle (bound)", "oracle", 2, 0), row("little", "little", 9, -5)
        ], "t");
        assert.match(svg, /bild fast/);
        assert.match(svg, />little</);
        assert.doesNotMatch(svg, /oracle \(bound\)/);
    });
});

describe("oracle bound", () => {
    it("drafts each agreeing run, drops the first disagreeing token, and verifies in one big call", () => {
        const schedule = oracleSchedule([1, 1, 2, 1, Infinity, 3, 1, 1], 10);
        assert.deepEqual(schedule.little, [10, 1, 1, 1, 1, 1, 1, 1]);
        assert.deepEqual(schedule.big, [12, 2, 1, 3]);
    });

    it("with no agreement is one little and one big call per token", () => {
        const schedule = oracleSchedule([Infinity, 2, Infinity], 5);
        assert.deepEqual(schedule.little, [5, 1, 1]);
        assert.deepEqual(schedule.big, [5, 1, 1]);
    });

    it("for a tree, agrees wherever big's token is among the candidates, and pays for the ones ranked above it", () => {
        const ranks = [1, 2, 1, Infinity, 2, 3, 1];
        const tree = oracleSchedule(ranks, 10, {width: 2});
        assert.deepEqual(tree.little, [10, 1, 1, 1, 1, 1, 1]);
        // Runs of 3 (one sibling), 1 (one sibling) and a final 1.
        assert.deepEqual(tree.big, [14, 3, 2]);
        const linear = oracleSchedule(ranks, 10);
        assert.deepEqual(linear.little, [10, 1, 1, 1, 1, 1, 1]);
        assert.deepEqual(linear.big, [11, 2, 1, 1, 2]);
    });

    it("for a run plus one leaf, pays the leaf's slot in every check that stops short, and keeps it and big's next token where it is big's", () => {
        const leaf = oracleSchedule([1, 2, 1, Infinity, 2, 3, 1], 10, {leaf: true});
        // Checks: the run [0] with the leaf at 1 (kept, 2 follows); a leaf at 3 (lost); a leaf at 4 (kept, 5 follows); the final run [6].
        assert.deepEqual(leaf.big, [12, 2, 2, 2]);
        assert.deepEqual(leaf.little, [10, 1, 2, 1, 2]);
        // A leaf that is the last output token gains nothing: the correction writes it anyway.
        assert.deepEqual(oracleSchedule([1, 2], 4, {leaf: true}).big, oracleSchedule([1, 2], 4).big.map((tokens) => tokens + 1));
    });

    it("ranks a token by logit among the candidates read, in any order, and past them as Infinity", () => {
        const pairs = [7, 1.5, 3, 2.5, 9, -1];
        assert.deepEqual([rankAmong(pairs, 3), rankAmong(pairs, 7), rankAmong(pairs, 9), rankAmong(pairs, 4)], [1, 2, 3, Infinity]);
    });

    it("interpolates call costs linearly and sums a schedule", () => {
        const curve = [{tokens: 1, ms: 2}, {tokens: 2, ms: 3}, {tokens: 4, ms: 7}];
        assert.equal(callCost(curve, 1), 2);
        assert.equal(callCost(curve, 3), 5);
        assert.equal(callCost(curve, 8), 15);
        const flat = [{tokens: 1, ms: 1}, {tokens: 100, ms: 100}];
        // little: 10 + 1; big: 12 tokens extrapolate to 7 + 2·8 = 23, 2 tokens cost 3.
        assert.equal(scheduleCostMs({little: [10, 1], big: [12, 2]}, {curve: flat}, {curve}), 37);
        // A measured prompt of 10 tokens (50 ms) prices the first big call: 50 + (cost of 3 − cost of 1); the little's 10 alone costs 4.
        assert.equal(scheduleCostMs({little: [10, 1], big: [12, 2]}, {curve: flat, prompt: {tokens: 10, ms: 4}}, {curve, prompt: {tokens: 10, ms: 50}}), 4 + 1 + 50 + 3 + 3);
    });
});

describe("lookup bound and loop share", () => {
    it("the lookup bound verifies each agreeing run with big's token in one call, the prompt in the first", () => {
        // Runs of 2, then none, then 3 reaching the end: calls feed prompt+2, 1+0, 1+3.
        const agreeing = [2, 0, 0, 0, 3, 0, 0];
        assert.deepEqual(lookupOracleSchedule(7, 10, (position) => agreeing[position]!), {little: [], big: [12, 1, 4]});
        assert.deepEqual(lookupOracleSchedule(3, 5, () => 0), {little: [], big: [5, 1, 1]});
    });

    it("reads the n-gram drafter along an output as the n-gram bound prices it: its longest runs, learning only what is verified", async () => {
        // The prompt teaches 1 2 → 3 → 4 → 1 → 2: from position 0 it drafts 3 4 1 2 3 (then 4, where the output has 9).
        const replay = await draftAgreement([1, 2, 3, 4, 1, 2], [3, 4, 1, 2, 3, 9], new NgramDrafter(new NgramMemory(), {minMatch: 2, maxDraft: 64}));
        assert.deepEqual(replay[0], {proposed: 6, agreeing: 5});
        // At the last position, 2 3 was followed by 4 (twice now): the 9 is not predicted.
        assert.deepEqual(replay[5], {proposed: 1, agreeing: 0});
    });

    it("counts the tokens a 4-gram lookup over prompt and earlier output predicts", async () => {
        // Prompt 1 2 3 4 5 1 2 3 4: the output 5 follows "1 2 3 4" as before, then 1, 2 do too, 9 does not.
        assert.equal(await repeatPredicted([1, 2, 3, 4, 5, 1, 2, 3, 4], [5, 1, 2, 9]), 3);
        assert.equal(await repeatPredicted([1, 2], [3, 4, 5, 6]), 0, "nothing repeats");
        // A loop of period 3: a 4-gram first recurs at the output's 8th token, which it and the 9th are then predicted from.
        assert.equal(await repeatPredicted([0], [7, 8, 9, 7, 8, 9, 7, 8, 9]), 2);
    });

    it("the lookup agreement counts, per position, the tokens proposed and those of them the output then has", async () => {
        // n 2: after "1 2" the proposal is "3 4 1 2 …" (read on as it is appended) up to the output's
        // end; the output keeps 3, 4, then 9 differs. After "4 9" nothing matches.
        const replay = (proposed: number, agreeing: number) => ({proposed, agreeing});
        assert.deepEqual(await lookupAgreement([1, 2, 3, 4, 1, 2], [3, 4, 9, 3], 2, 8), [replay(4, 2), replay(3, 1), replay(2, 0), replay(0, 0)]);
        assert.deepEqual(
            await lookupAgreement([1, 2, 3, 4, 1, 2], [3, 4, 1, 2], 2, 3), [replay(3, 3), replay(3, 3), replay(2, 2), replay(1, 1)],
            "at most maxDraft, and up to the output's end"
        );
    });
});

describe("prompt files", () => {
    const errorMatching = (pattern: RegExp) => (error: unknown) => error instanceof BildUsageError && pattern.test(error.message);

    it("reads JSON Lines of {id, prompt, reference}, skipping blank lines", () => {
        const prompts = parsePromptLines('{"id": "a", "prompt": "p", "reference": "r", "extra": 1}\n\n{"id": "b", "prompt": "q", "reference": ""}\n', "f.jsonl");
        assert.deepEqual(prompts, [{id: "a", prompt: "p", reference: "r"}, {id: "b", prompt: "q", reference: ""}]);
    });

    it("names the line of a malformed record", () => {
        assert.throws(() => parsePromptLines('{"id": "a", "prompt": "p", "reference": "r"}\n{"id": "b", "prompt": ', "f.jsonl"),
            errorMatching(/^f\.jsonl line 2 is not valid JSON/));
        assert.throws(() => parsePromptLines('\n\n{"id": "a", "prompt": "p"}', "f.jsonl"), errorMatching(/^f\.jsonl line 3: "reference" must be a string/));
        assert.throws(() => parsePromptLines("[1, 2]", "f.jsonl"), errorMatching(/line 1 is not a JSON object/));
        assert.throws(() => parsePromptLines('{"id": "a", "prompt": "p", "reference": "r"}\n{"id": "a", "prompt": "p", "reference": "r"}', "f.jsonl"),
            errorMatching(/line 2: duplicate id "a"/));
        assert.throws(() => parsePromptLines("\n", "f.jsonl"), errorMatching(/holds no prompts/));
    });
});

describe("bench rows", () => {
    it("parses a grid of settings and expands it into rows after big", () => {
        const grid = parseBenchGrid(["fallback-threshold=0.2,0.4", "rollback-threshold=0,inf", "draft-tokens=4"]);
        assert.deepEqual(grid.fallbackThreshold, [0.2, 0.4]);
        assert.deepEqual(grid.rollbackThreshold, [0, Number.POSITIVE_INFINITY]);
        assert.equal(grid.runConfidence, undefined, "the drafting rule given replaces the default grid's other alternative");
        const rows = benchRowSpecs(parseModes(["bild", "speculative"]), grid);
        assert.deepEqual(rows.map((row) => row.name), [
            "big", "big fa=on", "big fa=off", "speculative k=4", "bild fb=0.2 rb=0", "bild fb=0.2 rb=inf", "bild fb=0.4 rb=0", "bild fb=0.4 rb=inf"
        ]);
        assert.deepEqual(rows[4]!.settings, {mode: "bild", fallbackThreshold: 0.2, rollbackThreshold: 0});
        assert.deepEqual(rows.slice(0, 3).map((row) => isDecoderRow(row) && row.flashAttention), [undefined, true, false], "our big alone as the pair chose, then both ways");
    });

    it("sweeps a rule's alternatives side by side, not crossed, and labels a setting only where it varies", () => {
        const grid = parseBenchGrid(["run-confidence=0.05", "fallback-threshold=0.6", "max-little-tokens=10", "rollback-threshold=0"]);
        assert.deepEqual(benchRowSpecs(["big", "bild"], grid).map((row) => row.name), ["big", "big fa=on", "big fa=off", "bild run=0.05 rb=0", "bild fb=0.6 rb=0"]);
        const lengths = parseBenchGrid(["runConfidence=0.05", "max-little-tokens=5,inf", "rollback-threshold=0"]);
        assert.deepEqual(benchRowSpecs(["big", "bild"], lengths).map((row) => row.name), ["big", "big fa=on", "big fa=off", "bild run=0.05 n=5 rb=0", "bild run=0.05 n=inf rb=0"]);
    });

    it("adds sampled rows, seeded and measured against big sampling alike, when a temperature is given", () => {
        const rows = benchRowSpecs(parseModes(["speculative", "bild"]), parseBenchGrid(["fallback-threshold=0.6", "rollback-threshold=0", "draft-tokens=4"]),
            {temperature: 0.8, topP: 0.9});
        const sampled = rows.filter(isDecoderRow).filter((row) => row.settings.temperature === 0.8);
        assert.deepEqual(sampled.map((row) => row.name), [
            "big T=0.8 p=0.9", "big T=0.8 p=0.9 fa=on", "big T=0.8 p=0.9 fa=off", "speculative k=4 T=0.8 p=0.9", "bild strict fb=0.6 T=0.8 p=0.9", "bild fb=0.6 rb=2 T=0.8 p=0.9"
        ]);
        for (const row of sampled)
            assert.ok(row.baseline === "big T=0.8 p=0.9" && row.settings.seed === 1 && row.settings.topP === 0.9);
        assert.equal(benchRowSpecs(parseModes(["bild"]), parseBenchGrid([]), {temperature: 0}).some((row) => row.name.includes("T=")), false);
    });

    it("rejects bad grids and modes", () => {
        assert.throws(() => parseBenchGrid(["speed=1"]), /bad grid "speed=1": write KEY=V1,V2,… with KEY one of run-confidence, fallback-threshold/);
        assert.throws(() => parseBenchGrid(["fallback-threshold=0.1,x"]), /bad grid value "x" for fallback-threshold: use a number ≥ 0/);
        assert.throws(() => parseBenchGrid(["draft-tokens=0"]), /bad grid value "0" for draft-tokens: use an integer from 1 to 64/);
        assert.throws(() => parseModes(["big", "turbo"]), /unknown bench mode "turbo"/);
    });
});

describe("bench table", () => {
    it("shows a failed row with its error in a row of full width, and keeps the order", () => {
        const row = (name: string, error?: string) => benchRow(name, {mode: "peer", ...(error == null ? {} : {error})});
        const lines = markdownTable([row("big"), row("peer a", "Eval has failed (prompt p|1)"), row("peer b")]).split("\n");
        assert.deepEqual(lines.map((line) => line.split(" | ")[0]), ["| row", "| ---", "| big", "| peer a", "| peer b"]);
        assert.match(lines[3]!, /^\| peer a \| failed: Eval has failed \(prompt p\/1\) \|/);
        const cells = (line: string) => line.split("|").length;
        assert.equal(cells(lines[3]!), cells(lines[0]!));
    });

    it("adds a column of speed-ups over native llama.cpp only when a native-big row ran", () => {
        const row = (name: string, speedupOverNativeBig?: number) => benchRow(name, {mode: "big", ...(speedupOverNativeBig == null ? {} : {speedupOverNativeBig})});
        assert.doesNotMatch(markdownTable([row("big")]), /native-big/);
        const lines = markdownTable([row("big", 0.93), row("native-big fa=on", 1)]).split("\n");
        assert.deepEqual(lines[0]!.split(" | ").slice(1, 4), ["tok/s", "speed-up", "× native-big"]);
        assert.deepEqual(lines[2]!.split(" | ").slice(2, 4), ["1.00×", "0.93×"]);
    });
});
