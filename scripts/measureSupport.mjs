// What the measure:* scripts share: a Python prompt to put context in front of the calls timed,
// and medians of repeated timings.

/** `repeats` copies of a small Python class: 8 make 281 tokens with the Python pair's tokenizer, about a py dev prompt's 294. */
export const pythonPrompt = (repeats) => "class Stack:\n    \"\"\"A last-in, first-out stack.\"\"\"\n\n    def __init__(self):\n        self.items = []\n".repeat(repeats);

export const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** Median wall time of `repeats` runs of `task`, in ms. */
export async function medianMs(task, repeats) {
    const samples = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
        const start = performance.now();
        await task();
        samples.push(performance.now() - start);
    }
    return median(samples);
}
