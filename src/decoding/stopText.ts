const REPLACEMENT_CHARACTER = "\uFFFD";

/** The text before the first occurrence of any stop string (all of it when none occurs). */
export function cutAtStop(text: string, stops: readonly string[]): string {
    let end = text.length;
    for (const stop of stops) {
        const index = text.indexOf(stop);
        if (index >= 0 && index < end)
            end = index;
    }
    return text.slice(0, end);
}

/**
 * How much of `text` (final tokens decoded) can be streamed now and never be taken back: up to the
 * first stop string, minus a tail that could still grow into a stop string, minus a trailing
 * incomplete UTF-8 character (decoded as U+FFFD until its next bytes arrive).
 */
export function streamableLength(text: string, stops: readonly string[]): number {
    const cut = cutAtStop(text, stops);
    if (cut.length < text.length)
        return cut.length;
    let end = text.length;
    for (const stop of stops) {
        for (let overlap = Math.min(stop.length - 1, text.length); overlap > 0; overlap--) {
            if (text.endsWith(stop.slice(0, overlap))) {
                end = Math.min(end, text.length - overlap);
                break;
            }
        }
    }
    while (end > 0 && text[end - 1] === REPLACEMENT_CHARACTER)
        end--;
    return end;
}
