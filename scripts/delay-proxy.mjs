#!/usr/bin/env node
// `node scripts/delay-proxy.mjs listenHost listenPort targetHost targetPort oneWayMs`: forwards TCP
// from listen to target, each chunk held `oneWayMs` in each direction, in order — a round trip of
// twice that per message, for kernels without `tc netem` (measure:rpc uses it there). Node's timers
// count whole milliseconds, so while chunks wait the loop polls on every turn of the event loop: it
// spins only while a message is in flight, when an RPC client and its server both wait for it.
import net from "node:net";

const [listenHost, listenPort, targetHost, targetPort, oneWayMs] = process.argv.slice(2);
const delay = Number(oneWayMs);

function pipe(from, to) {
    const queue = [];
    const pump = () => {
        const now = performance.now();
        while (queue.length > 0 && queue[0].due <= now) {
            const {chunk} = queue.shift();
            if (chunk == null)
                to.end();
            else
                to.write(chunk);
        }
        if (queue.length > 0)
            setImmediate(pump);
    };
    // A null chunk is the end of the stream, delayed like the data before it.
    const push = (chunk) => {
        queue.push({due: performance.now() + delay, chunk});
        if (queue.length === 1)
            setImmediate(pump);
    };
    from.on("data", push);
    from.on("end", () => push(null));
}

net.createServer((client) => {
    const server = net.connect({host: targetHost, port: Number(targetPort)});
    for (const socket of [client, server]) {
        socket.setNoDelay(true);
        socket.on("error", () => {
            client.destroy();
            server.destroy();
        });
    }
    pipe(client, server);
    pipe(server, client);
}).listen(Number(listenPort), listenHost, () => process.send?.("listening"));
