import {InvalidArgumentError} from "commander";

/** A finite number. */
export function parseNumber(value: string): number {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number))
        throw new InvalidArgumentError("expected a number.");
    return number;
}

const WHOLE_NUMBER = /^\s*\d+\s*$/;

export function parsePositiveInteger(value: string): number {
    if (!WHOLE_NUMBER.test(value) || Number(value) <= 0)
        throw new InvalidArgumentError("expected a positive integer.");
    return Number(value);
}

/** A TCP port; 0 asks the system for any free one. */
export function parsePort(value: string): number {
    const port = value === "0" ? 0 : parsePositiveInteger(value);
    if (port > 65535)
        throw new InvalidArgumentError("expected a port from 0 to 65535.");
    return port;
}
