import {InvalidArgumentError} from "commander";

const INFINITY_WORDS = new Set(["inf", "infinity", "none"]);

/** A finite number, or `Infinity` written as inf / infinity / none when `allowInfinity`. */
export function parseNumber(value: string, allowInfinity = false): number {
    if (allowInfinity && INFINITY_WORDS.has(value.trim().toLowerCase()))
        return Number.POSITIVE_INFINITY;
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number))
        throw new InvalidArgumentError(allowInfinity ? "expected a number or inf." : "expected a number.");
    return number;
}

const WHOLE_NUMBER = /^\s*\d+\s*$/;

export function parsePositiveInteger(value: string): number {
    if (!WHOLE_NUMBER.test(value) || Number(value) <= 0)
        throw new InvalidArgumentError("expected a positive integer.");
    return Number(value);
}

export function parseInteger(value: string): number {
    if (!WHOLE_NUMBER.test(value))
        throw new InvalidArgumentError("expected a whole number ≥ 0.");
    return Number(value);
}

/** A positive integer, or `Infinity` written as inf / infinity / none. */
export function parsePositiveIntegerOrInfinity(value: string): number {
    return INFINITY_WORDS.has(value.trim().toLowerCase()) ? Number.POSITIVE_INFINITY : parsePositiveInteger(value);
}
