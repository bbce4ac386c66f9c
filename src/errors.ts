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
