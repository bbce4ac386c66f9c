import {readFileSync} from "node:fs";
import path from "node:path";
import koffi from "koffi";
import {BildUsageError} from "../../errors.js";

/**
 * The few functions of ggml's backend registry that node-llama-cpp does not expose, called through
 * an FFI on the very libggml its addon loaded (the registry is a static in that library, so a copy
 * loaded from elsewhere would not see the models' devices). This is how llama.cpp's own tools
 * register RPC servers (common/arg.cpp, `add_rpc_devices`): look the RPC backend up by name, ask it
 * for `ggml_backend_rpc_add_server`, register the backend that returns.
 */
type GgmlLibrary = {
    regByName(name: string): unknown,
    getProcAddress(reg: unknown, name: string): unknown,
    register(reg: unknown): void,
    unload(reg: unknown): void,
    devByType(type: number): unknown,
    setAbortCallback(callback: unknown): unknown
};

const GGML_BACKEND_DEVICE_TYPE_CPU = 0;
const AddServer = koffi.proto("void *ggml_backend_rpc_add_server_t(const char *endpoint)");
const StartServer = koffi.proto("void ggml_backend_rpc_start_server_t(const char *endpoint, const char *cache_dir, size_t n_threads, size_t n_devices, void *devices)");
const AbortCallback = koffi.proto("void ggml_abort_callback_t(const char *error_message)");

let library: GgmlLibrary | undefined;

/** The path of the libggml this process loaded (node-llama-cpp's addon must be loaded first). */
function loadedGgmlPath(): string {
    if (process.platform !== "linux")
        throw new BildUsageError(`RPC servers are supported on Linux only in this release (this is ${process.platform}): run bild on a Linux machine, or use llama.cpp's own tools with --rpc`);
    const maps = readFileSync("/proc/self/maps", "utf8");
    for (const line of maps.split("\n")) {
        const file = line.slice(line.indexOf("/"));
        if (line.includes("/") && /^libggml\.[^/]*so/.test(path.basename(file)))
            return file;
    }
    throw new Error("node-llama-cpp's libggml is not loaded in this process: load llama.cpp (getEngineLlama) first");
}

function ggml(): GgmlLibrary {
    if (library != null)
        return library;
    const ggmlPath = loadedGgmlPath();
    // libggml-base sits beside libggml and is already loaded too; dlopen returns the loaded copies.
    const base = koffi.load(path.join(path.dirname(ggmlPath), "libggml-base.so"));
    const main = koffi.load(ggmlPath);
    library = {
        regByName: main.func("void *ggml_backend_reg_by_name(const char *name)"),
        getProcAddress: base.func("void *ggml_backend_reg_get_proc_address(void *reg, const char *name)"),
        register: main.func("void ggml_backend_register(void *reg)"),
        unload: main.func("void ggml_backend_unload(void *reg)"),
        devByType: main.func("void *ggml_backend_dev_by_type(int type)"),
        setAbortCallback: base.func("void *ggml_set_abort_callback(ggml_abort_callback_t *callback)")
    };
    return library;
}

/** The llama.cpp binary's RPC backend, or a usage error that says how to build one that has it. */
export function requireRpcBackend(flag: string): unknown {
    const reg = ggml().regByName("RPC");
    if (reg == null)
        throw new BildUsageError(`${flag}: this llama.cpp binary has no RPC backend (the prebuilt ones do not): build one with \`npm run build:addon\` (about 10 minutes, offline)`);
    return reg;
}

function rpcFunction(flag: string, name: string): unknown {
    const fn = ggml().getProcAddress(requireRpcBackend(flag), name);
    if (fn == null)
        throw new Error(`llama.cpp's RPC backend lacks ${name}`);
    return fn;
}

/** Whether the loaded llama.cpp binary can place layers on RPC servers. */
export function hasRpcBackend(): boolean {
    return process.platform === "linux" && ggml().regByName("RPC") != null;
}

let placing: Promise<unknown> = Promise.resolve();
/** Servers this process has added: ggml-rpc holds a connection to each until the process ends. */
const connected = new Set<string>();

/**
 * Whether this process holds a connection to `endpoint`: an rpc-server serves one client at a
 * time, so a second connection (a handshake probe) would wait until this process ends.
 */
export function isRpcServerConnected(endpoint: string): boolean {
    return connected.has(endpoint);
}

/**
 * Runs `load` with each server's devices in llama.cpp's device list, and only theirs: a model
 * loaded with GPU layers is placed on the devices listed while it loads (RPC devices first), and the
 * list is process-wide. node-llama-cpp passes no device list of its own (`model_params.devices`), so
 * the servers are registered for the load (as llama.cpp's `add_rpc_devices` does) and taken out of
 * the list after it: models loaded before or after stay where their own settings put them. The
 * loaded model keeps its devices (llama.cpp never frees an RPC device). Loads run one at a time.
 */
export function placeOnRpcServers<T>(endpoints: readonly string[], flag: string, load: () => Promise<T>): Promise<T> {
    const placed = placing.then(async () => {
        const addServer = rpcFunction(flag, "ggml_backend_rpc_add_server");
        const regs: unknown[] = [];
        try {
            for (const endpoint of endpoints) {
                // ggml-rpc keeps one registration per endpoint: a second call returns the first.
                const reg = koffi.call(addServer, AddServer, endpoint);
                connected.add(endpoint);
                if (reg == null)
                    throw new BildUsageError(`${flag} ${endpoint}: llama.cpp could not add this RPC server (run with BILD_DEBUG=1 for its log)`);
                ggml().register(reg);
                regs.push(reg);
            }
            return await load();
        } finally {
            takeRpcDevicesOut(regs);
        }
    });
    placing = placed.catch(() => {});
    return placed;
}

/**
 * Every RPC device names ggml-rpc's one backend as its own (not the per-server registration that
 * listed it), so unloading that backend is what removes the devices; it is registered again, empty,
 * for the next servers. The per-server registrations go too, so that registering one again lists
 * its devices again.
 */
function takeRpcDevicesOut(regs: readonly unknown[]): void {
    const {unload, register, regByName} = ggml();
    for (const reg of regs)
        unload(reg);
    const rpc = regByName("RPC");
    if (rpc != null) {
        unload(rpc);
        register(rpc);
    }
}

/**
 * Serves this machine's CPU to RPC clients at `endpoint` (`host:port`), as llama.cpp's `rpc-server`
 * does, with the same code (`ggml_backend_rpc_start_server`). Never returns: the process serves
 * one client at a time until it is stopped.
 */
export function serveRpc(endpoint: string, threads: number): never {
    const startServer = rpcFunction("rpc-server", "ggml_backend_rpc_start_server");
    const cpu = ggml().devByType(GGML_BACKEND_DEVICE_TYPE_CPU);
    const devices = new BigUint64Array([BigInt(koffi.address(cpu))]);
    koffi.call(startServer, StartServer, endpoint, null, threads, 1, devices);
    throw new Error(`llama.cpp's RPC server at ${endpoint} stopped`);
}

let libcExit: ((code: number) => void) | undefined;

/**
 * Ends the process at once, as `_exit` does. `process.exit` first joins libuv's worker threads,
 * and one stuck in a call to a dead or stalled rpc-server never returns, so it would hang.
 * Standard output and error are synchronous on Linux: what was written has been written.
 */
export function exitImmediately(code: number): never {
    libcExit ??= koffi.load("libc.so.6").func("void _exit(int status)") as (code: number) => void;
    libcExit(code);
    throw new Error("_exit returned");
}

let abortHandler: unknown;

/**
 * Runs `handler` when llama.cpp aborts, before the process ends: its RPC client aborts when a
 * server dies or answers garbage mid-call (ggml-rpc.cpp, `RPC_STATUS_ASSERT`), and this is the
 * one place that can still say so in a line. The handler runs on the main thread (Koffi queues a
 * call from llama.cpp's threads there) and should end the process with {@link exitImmediately}.
 */
export function onGgmlAbort(handler: (message: string) => void): void {
    if (abortHandler != null)
        return;
    abortHandler = koffi.register((message: string) => handler(message), koffi.pointer(AbortCallback));
    ggml().setAbortCallback(abortHandler);
}
