import {spawn, type ChildProcess} from "node:child_process";
import {readFile} from "node:fs/promises";
import {CLI, CLI_ENV} from "./runCli.js";



/** A `bild serve` child process on a free loopback port. */
export type ServerProcess = {url: string, child: ChildProcess, stop(): Promise<void>, rssBytes(): Promise<number>, stderr(): string};

export function startServer(args: string[]): Promise<ServerProcess> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, "serve", "--host", "127.0.0.1", "--port", "0", ...args], {stdio: ["ignore", "ignore", "pipe"], env: CLI_ENV});
        let stderr = "";
        const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
        child.stderr!.on("data", (chunk) => {
            stderr += chunk;
            const match = /on (http:\/\/[^\s]+)/.exec(stderr);
            if (match != null) {
                clearTimeout(timer);
                resolve({
                    url: match[1]!,
                    child,
                    stderr: () => stderr,
                    stop: () => new Promise((done) => {
                        child.once("exit", () => done());
                        child.kill("SIGTERM");
                    }),
                    rssBytes: async () => {
                        const status = await readFile(`/proc/${child.pid}/status`, "utf8");
                        return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
                    }
                });
            }
        });
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`server exited with ${code}: ${stderr}`));
        });
    });
}
