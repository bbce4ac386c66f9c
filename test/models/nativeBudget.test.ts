import {after, before, describe, it} from "node:test";
import assert from "node:assert/strict";
import {readFixturePrompts} from "../support/fixtures.js";
import {loadNativeFixture, nativeToolsMissing, type NativeFixture} from "../support/nativeFixture.js";

const BUDGET = 48;

describe("llama-speculative-simple timed to the budget (bundled pair, greedy, 6 prompts × 48 tokens)", {skip: nativeToolsMissing}, () => {
    let fixture: NativeFixture;
    before(async () => {
        fixture = await loadNativeFixture();
    });
    after(() => fixture.dispose());

    it("reads the text back from its JSON log and times only the budget where ngram-mod drafts past it", async () => {
        const {pair, decoder, native} = fixture;
        let passed = 0;
        for (const {id, prompt} of readFixturePrompts(6)) {
            const ours = await decoder.generate(prompt, {mode: "big", maxTokens: BUDGET});
            const theirs = await native.generate({tool: "llama-speculative-simple", flashAttention: false, specType: "ngram-mod,draft-simple", draftMax: 8}, prompt, BUDGET);
            const kept = pair.tokenizer.decode(pair.tokenizer.encode(theirs.text).slice(0, ours.tokens.length));
            assert.equal(kept, ours.text, `${id}: the big model's greedy text`);
            assert.ok(theirs.generated != null && theirs.generated >= BUDGET && theirs.ms > 0, `${id}: ${JSON.stringify(theirs)}`);
            if (theirs.generated > BUDGET) {
                passed++;
                assert.equal(theirs.tokens, BUDGET, `${id}: timed to the budget though ${theirs.generated} tokens were generated`);
            }
        }
        assert.ok(passed > 0, "some run passes the budget (else the timing to it is not exercised)");
    });
});
