import {describe, it} from "node:test";
import assert from "node:assert/strict";
import {busyCoresBetween, parseCpuTimes} from "../../src/cli/busyCores.js";

describe("busy cores from /proc/stat", () => {
    const stat = (user: number, idle: number) => `cpu  ${user} 0 100 ${idle} 50 0 10 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 5\n`;

    it("reads the aggregate line: idle and iowait are idle, guest time is not counted twice", () => {
        assert.deepEqual(parseCpuTimes(stat(1000, 5000)), {total: 1000 + 100 + 5000 + 50 + 10, idle: 5050});
        assert.equal(parseCpuTimes("intr 5\n"), undefined);
    });

    it("turns two samples into cores kept busy", () => {
        // 2 cores, 200 ticks between samples: 100 busy, 100 idle → one core busy.
        assert.equal(busyCoresBetween(parseCpuTimes(stat(1000, 5000))!, parseCpuTimes(stat(1100, 5100))!, 2), 1);
        assert.equal(busyCoresBetween(parseCpuTimes(stat(1000, 5000))!, parseCpuTimes(stat(1000, 5200))!, 2), 0);
        assert.equal(busyCoresBetween(parseCpuTimes(stat(1000, 5000))!, parseCpuTimes(stat(1000, 5000))!, 2), 0, "no time passed");
    });
});
