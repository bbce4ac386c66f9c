import {SingleBar, Presets} from "cli-progress";

/** A progress bar with ETA on standard error, or nothing when it is not a terminal. */
export function startProgress(total: number, label: string): {tick(): void, stop(): void} {
    if (!process.stderr.isTTY)
        return {tick() {}, stop() {}};
    const bar = new SingleBar({
        format: `${label} [{bar}] {value}/{total} runs | ETA {eta_formatted} | {duration_formatted}`,
        stream: process.stderr,
        hideCursor: true
    }, Presets.shades_classic);
    bar.start(total, 0);
    return {tick: () => bar.increment(), stop: () => bar.stop()};
}
