import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {cutAtStop, streamableLength} from "../../src/decoding/stopText.js";

describe("cutAtStop", () => {
    it("cuts before the earliest stop string", () => {
        assert.equal(cutAtStop("one two; three\n", ["\n", ";"]), "one two");
        assert.equal(cutAtStop("no stop here", ["END"]), "no stop here");
        assert.equal(cutAtStop("abc", []), "abc");
    });
});

describe("streamableLength", () => {
    it("holds back a tail that could grow into a stop string", () => {
        assert.equal(streamableLength("hello wor", ["world"]), "hello ".length);
        assert.equal(streamableLength("hello wo", ["wonder", "or"]), "hello ".length);
        assert.equal(streamableLength("hello", ["xyz"]), 5);
    });

    it("stops at a complete stop string", () => {
        assert.equal(streamableLength("a END b", ["END"]), 2);
    });

    it("holds back a trailing incomplete UTF-8 character", () => {
        assert.equal(streamableLength("caf\uFFFD", []), 3);
        assert.equal(streamableLength("café", []), 4);
    });
});
