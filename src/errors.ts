/**
 * An error caused by what the user asked for (a bad path, an out-of-range setting, a prompt that does
 * not fit), as opposed to a bug. Its message is one line that names the problem and the fix, so entry
 * points can show it as is: the CLI exits with code 2 and no stack trace, the server answers 400.
 */
export class BildUsageError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = "BildUsageError";
    }
}

export function isUsageError(error: unknown): error is BildUsageError {
    return error instanceof BildUsageError;
}

/** The user interrupted the command (Ctrl-C); the CLI exits with 130 like a shell does. */
export class BildInterruptedError extends Error {
    public constructor() {
        super("interrupted");
        this.name = "BildInterruptedError";
    }
}

/** The message of anything thrown, for one-line reports. */
export function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
