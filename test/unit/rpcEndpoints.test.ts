import {describe, it} from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import {parseRpcEndpoints} from "../../src/engine/rpc/rpcEndpoints.js";
import {probeRpcServer, RPC_PROTOCOL_MAJOR_VERSION} from "../../src/engine/rpc/probeRpcServer.js";
import {BildUsageError} from "../../src/errors.js";

/** A loopback TCP server that answers each connection with `reply` (or nothing), on a free port. */
async function fakeServer(reply: (socket: net.Socket) => void): Promise<{endpoint: string, close(): Promise<void>}> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => {});
        reply(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const {port} = server.address() as net.AddressInfo;
    return {
        endpoint: `127.0.0.1:${port}`,
        close: () => new Promise((resolve) => {
            for (const socket of sockets)
                socket.destroy();
            server.close(() => resolve());
        })
    };
}

/** ggml-rpc's hello reply: its size, then major, minor, patch, padding and 24 capability bytes. */
function helloReply(major: number): Buffer {
    const reply = Buffer.alloc(8 + 28);
    reply.writeBigUInt64LE(28n, 0);
    reply.writeUInt8(major, 8);
    reply.writeUInt8(1, 9);
    return reply;
}

describe("RPC endpoints", () => {
    it("parses host:port lists, IPv6 in brackets, and rejects bad ones in one line naming the flag", () => {
        assert.deepEqual(parseRpcEndpoints("10.0.0.1:50052, 10.0.0.2:50053", "--big-rpc"), ["10.0.0.1:50052", "10.0.0.2:50053"]);
        assert.deepEqual(parseRpcEndpoints("[::1]:50052", "--big-rpc"), ["[::1]:50052"]);
        for (const [text, pattern] of [
            ["", /--big-rpc needs host:port/],
            ["10.0.0.1", /expected host:port/],
            [":50052", /expected host:port/],
            ["10.0.0.1:0", /port must be a number from 1 to 65535/],
            ["10.0.0.1:70000", /port must be a number from 1 to 65535/],
            ["10.0.0.1:http", /port must be a number/],
            ["a:1,a:1", /names a:1 twice/]
        ] as const)
            assert.throws(() => parseRpcEndpoints(text, "--big-rpc"), (error: Error) => error instanceof BildUsageError && pattern.test(error.message) && !error.message.includes("\n"));
    });

    it("probes a server with llama.cpp's handshake: its version, or why it cannot be used", async () => {
        const answering = await fakeServer((socket) => socket.once("data", (hello) => {
            // The client's hello: command 14, then the 24-byte capabilities as the message.
            assert.equal(hello[0], 14);
            assert.equal(hello.readBigUInt64LE(1), 24n);
            socket.end(helloReply(RPC_PROTOCOL_MAJOR_VERSION));
        }));
        const older = await fakeServer((socket) => socket.once("data", () => socket.end(helloReply(RPC_PROTOCOL_MAJOR_VERSION - 1))));
        const silent = await fakeServer(() => {});
        const closing = await fakeServer((socket) => socket.end());
        try {
            assert.equal(await probeRpcServer(answering.endpoint, "--big-rpc"), `${RPC_PROTOCOL_MAJOR_VERSION}.1.0`);
            await assert.rejects(probeRpcServer(older.endpoint, "--big-rpc"), /speaks RPC protocol 6\.1\.0, this llama\.cpp 7\.x/);
            const started = Date.now();
            await assert.rejects(probeRpcServer(silent.endpoint, "--big-rpc", 300), /no answer to llama\.cpp's RPC handshake within 0\.3 s/);
            assert.ok(Date.now() - started < 3000, "a silent server is given up on after the timeout");
            await assert.rejects(probeRpcServer(closing.endpoint, "--big-rpc"), /closed the connection during llama\.cpp's RPC handshake/);
        } finally {
            await Promise.all([answering, older, silent, closing].map((server) => server.close()));
        }
        const free = await fakeServer(() => {});
        await free.close();
        await assert.rejects(probeRpcServer(free.endpoint, "--big-rpc"), (error: Error) =>
            error instanceof BildUsageError && /--big-rpc 127\.0\.0\.1:\d+: cannot connect \(ECONNREFUSED\); start llama\.cpp's rpc-server there/.test(error.message));
    });
});
