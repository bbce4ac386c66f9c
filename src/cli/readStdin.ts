import {text} from "node:stream/consumers";
import {BildUsageError} from "../errors.js";

/** The prompt from `--prompt`, or else from standard input when it is piped in. */
export async function readPrompt(prompt: string | undefined): Promise<string> {
    if (prompt != null)
        return prompt;
    if (process.stdin.isTTY)
        throw new BildUsageError("no prompt: pass --prompt TEXT or pipe the prompt on standard input");
    const piped = await text(process.stdin);
    if (piped === "")
        throw new BildUsageError("standard input was empty: pipe a prompt in or pass --prompt TEXT");
    return piped;
}
