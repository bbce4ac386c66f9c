import {readFile} from "node:fs/promises";

/** The CPU counters of /proc/stat's first line: all cores together, in clock ticks. */
export type CpuTimes = {readonly total: number, readonly idle: number};

/** Parses /proc/stat's aggregate `cpu` line (user nice system idle iowait irq softirq steal …). */
export function parseCpuTimes(stat: string): CpuTimes | undefined {
    const fields = /^cpu\s+([\d\s]+)$/m.exec(stat)?.[1]?.trim().split(/\s+/).map(Number);
    if (fields == null || fields.length < 5)
        return undefined;
    // Guest time is already counted in user time.
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return {total, idle: fields[3]! + fields[4]!};
}

/** How many cores were busy between two samples (0 to `cores`). */
export function busyCoresBetween(before: CpuTimes, after: CpuTimes, cores: number): number {
    const total = after.total - before.total;
    return total <= 0 ? 0 : cores * (1 - (after.idle - before.idle) / total);
}

/**
 * How many of the machine's cores other processes keep busy right now, sampled over `sampleMs`
 * before this process starts computing; `undefined` where /proc/stat does not exist (not Linux).
 */
export async function busyCoresNow(cores: number, sampleMs = 150): Promise<number | undefined> {
    const sample = () => readFile("/proc/stat", "utf8").then(parseCpuTimes, () => undefined);
    const before = await sample();
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const after = await sample();
    return before == null || after == null ? undefined : busyCoresBetween(before, after, cores);
}
