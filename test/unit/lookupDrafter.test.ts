import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {LookupDrafter} from "../../src/decoding/drafters/LookupDrafter.js";
import type {Token} from "../../src/engine/ModelSequence.js";

/** What the drafter proposes, read as the draft/verify loop reads it: each proposal appended to the tokens first. */
async function proposals(drafter: LookupDrafter, prompt: readonly Token[]): Promise<Token[]> {
    const tokens = [...prompt];
    for await (const choice of drafter.propose(tokens))
        tokens.push(choice.token);
    return tokens.slice(prompt.length);
}

describe("LookupDrafter", () => {
    it("proposes what followed the latest earlier occurrence of the last n tokens", async () => {
        assert.deepEqual(await proposals(new LookupDrafter(2, 3), [7, 1, 2, 8, 1, 2, 9, 4, 1, 2]), [9, 4, 1]);
        assert.deepEqual(await proposals(new LookupDrafter(3, 4), [1, 2, 3, 9, 1, 2, 3]), [9, 1, 2, 3]);
    });

    it("proposes nothing where the text does not repeat, or is too short", async () => {
        assert.deepEqual(await proposals(new LookupDrafter(2, 4), [1, 2, 3, 4, 5]), []);
        assert.deepEqual(await proposals(new LookupDrafter(3, 4), [1, 1, 1]), []);
    });

    it("continues a match that runs into the suffix, as a loop would go on", async () => {
        assert.deepEqual(await proposals(new LookupDrafter(2, 5), [5, 5, 5]), [5, 5, 5, 5, 5]);
        assert.deepEqual(await proposals(new LookupDrafter(1, 5), [3, 4, 3]), [4, 3, 4, 3, 4]);
    });
});
