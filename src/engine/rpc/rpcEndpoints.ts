import {BildUsageError} from "../../errors.js";

/**
 * `host:port[,host:port…]` as llama.cpp's `--rpc` takes it, checked: each endpoint once, a port
 * from 1 to 65535, an IPv6 host in brackets (`[::1]:50052`).
 */
export function parseRpcEndpoints(text: string, flag: string): string[] {
    const endpoints = text.split(",").map((item) => item.trim()).filter((item) => item !== "");
    if (endpoints.length === 0)
        throw new BildUsageError(`${flag} needs host:port of at least one rpc-server, e.g. ${flag} 192.168.1.10:50052,192.168.1.11:50052`);
    for (const endpoint of endpoints) {
        const {port} = splitEndpoint(endpoint, flag);
        if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
            throw new BildUsageError(`${flag} ${endpoint}: the port must be a number from 1 to 65535 (host:port, e.g. 127.0.0.1:50052)`);
    }
    const twice = endpoints.find((endpoint, i) => endpoints.indexOf(endpoint) !== i);
    if (twice != null)
        throw new BildUsageError(`${flag} names ${twice} twice: list each rpc-server once`);
    return endpoints;
}

/** Host and port of an endpoint (`host:port`, `[v6]:port`). */
export function splitEndpoint(endpoint: string, flag: string): {host: string, port: string} {
    const colon = endpoint.lastIndexOf(":");
    let host = colon > 0 ? endpoint.slice(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]"))
        host = host.slice(1, -1);
    if (host === "")
        throw new BildUsageError(`${flag} ${endpoint}: expected host:port (e.g. 127.0.0.1:50052)`);
    return {host, port: endpoint.slice(colon + 1)};
}
