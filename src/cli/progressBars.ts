import {SingleBar, Presets} from "cli-progress";

/** A progress bar on standard error, or none when it is not a terminal (output piped to a file stays clean). */
function startBar(format: string, total: number): SingleBar | undefined {
    if (!process.stderr.isTTY)
        return undefined;
    const bar = new SingleBar({format, stream: process.stderr, hideCursor: true}, Presets.shades_classic);
    bar.start(total, 0);
    return bar;
}

/** The bench's bar, counting runs, with ETA. */
export function startProgress(total: number, label: string): {tick(): void, stop(): void} {
    const bar = startBar(`${label} [{bar}] {value}/{total} runs | ETA {eta_formatted} | {duration_formatted}`, total);
    return {tick: () => bar?.increment(), stop: () => bar?.stop()};
}

/** A model download's bar, in MB, started at its first progress report and stopped when it completes. */
export function downloadProgress(label: string): (status: {totalSize: number, downloadedSize: number}) => void {
    let bar: SingleBar | undefined;
    let started = false;
    const megabytes = (bytes: number) => Math.round(bytes / 1e6);
    return ({totalSize, downloadedSize}) => {
        if (!started) {
            started = true;
            bar = startBar(`downloading ${label} [{bar}] {value}/{total} MB | ETA {eta_formatted}`, megabytes(totalSize));
        }
        bar?.update(megabytes(downloadedSize));
        if (downloadedSize >= totalSize)
            bar?.stop();
    };
}
