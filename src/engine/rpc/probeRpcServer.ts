import net from "node:net";
import {BildUsageError} from "../../errors.js";
import {splitEndpoint} from "./rpcEndpoints.js";

/** ggml-rpc.h of the llama.cpp release node-llama-cpp ships: a server of another major version refuses us. */
export const RPC_PROTOCOL_MAJOR_VERSION = 7;
/** ggml-rpc.cpp's command number of the handshake, fixed across versions. */
const RPC_CMD_HELLO = 14;
/** ggml-rpc's transport capabilities field of the hello messages; all zero asks for plain TCP. */
const CONNECTION_CAPABILITIES_SIZE = 24;
/** How long a server may take to answer the handshake before it counts as unreachable. */
export const DEFAULT_RPC_PROBE_TIMEOUT_MS = 3000;

/**
 * Checks that an rpc-server answers llama.cpp's handshake in a compatible protocol version, before
 * llama.cpp connects itself: its client aborts the whole process on a server it cannot reach, and
 * would wait forever on one that accepts but never answers. Resolves with the server's version.
 */
export async function probeRpcServer(endpoint: string, flag: string, timeoutMs = DEFAULT_RPC_PROBE_TIMEOUT_MS): Promise<string> {
    const {host, port} = splitEndpoint(endpoint, flag);
    const hello = Buffer.alloc(1 + 8 + CONNECTION_CAPABILITIES_SIZE);
    hello.writeUInt8(RPC_CMD_HELLO, 0);
    hello.writeBigUInt64LE(BigInt(CONNECTION_CAPABILITIES_SIZE), 1);
    const reply = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect({host, port: Number(port)});
        const chunks: Buffer[] = [];
        let received = 0;
        const fail = (reason: string) => {
            socket.destroy();
            reject(new BildUsageError(`${flag} ${endpoint}: ${reason}; start llama.cpp's rpc-server there (rpc-server -H <host> -p <port>, or bild rpc-server)`));
        };
        socket.setTimeout(timeoutMs, () => fail(`no answer to llama.cpp's RPC handshake within ${timeoutMs / 1000} s (an rpc-server serves one client at a time: is another one connected?)`));
        socket.on("error", (error: NodeJS.ErrnoException) => fail(`cannot connect (${error.code ?? error.message})`));
        socket.on("connect", () => socket.write(hello));
        socket.on("data", (chunk) => {
            chunks.push(chunk);
            received += chunk.length;
            if (received >= 8 + 4) {
                socket.destroy();
                resolve(Buffer.concat(chunks));
            }
        });
        socket.on("end", () => fail("the server closed the connection during llama.cpp's RPC handshake (is it an rpc-server?)"));
    });
    const [major, minor, patch] = [reply[8]!, reply[9]!, reply[10]!];
    if (major !== RPC_PROTOCOL_MAJOR_VERSION)
        throw new BildUsageError(`${flag} ${endpoint}: the rpc-server speaks RPC protocol ${major}.${minor}.${patch}, this llama.cpp ${RPC_PROTOCOL_MAJOR_VERSION}.x: ` +
            "run an rpc-server built from the same llama.cpp release (npm run build:native builds one)");
    return `${major}.${minor}.${patch}`;
}
