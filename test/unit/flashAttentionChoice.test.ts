import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {choosesFlashAttention} from "../../src/engine/chooseFlashAttention.js";

describe("flash attention from its timings", () => {
    it("stays on (llama.cpp's default) unless off timed more than 4 % faster", () => {
        assert.equal(choosesFlashAttention({msOn: 12.5, msOff: 13.3}), true, "on faster");
        assert.equal(choosesFlashAttention({msOn: 14.83, msOff: 14.59}), true, "off 1.6 % faster: within the timing's noise");
        assert.equal(choosesFlashAttention({msOn: 10, msOff: 9.61}), true, "off 3.9 % faster");
        assert.equal(choosesFlashAttention({msOn: 10, msOff: 9.59}), false, "off 4.1 % faster");
        assert.equal(choosesFlashAttention({msOn: 0.60, msOff: 0.44}), false, "a little model's single tokens, off 27 % faster");
    });
});
