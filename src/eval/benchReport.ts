import type {BenchRow} from "./benchTypes.js";

const fixed = (value: number | undefined, digits: number) => value == null || Number.isNaN(value) ? "" : value.toFixed(digits);
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;

/**
 * The rows as a Markdown table, in the order given; a column of speed-ups over native llama.cpp when
 * it ran. The fastest lossless row of ours and the fastest native speculative row are in bold.
 */
export function markdownTable(rows: readonly BenchRow[]): string {
    const overNative = rows.some((row) => row.speedupOverNativeBig != null);
    const byRound = rows.some((row) => row.roundTokensPerSecond != null);
    const header = [
        "row", "tok/s", ...(byRound ? ["tok/s by round"] : []), "speed-up", ...(overNative ? ["× native-big"] : []), "repeat %", "median ms", "total s", "ROUGE-L", "Δ ROUGE-L", "BLEU", "ROUGE-L vs big",
        "identical %", "prefix %", "−log p_big", "little %", "accepted %", "fallbacks", "rollbacks", "tok/big call", "discarded", "own %"
    ];
    const lines = [
        `| ${header.join(" | ")} |`,
        `| ${header.map((_, i) => i === 0 ? "---" : "---:").join(" | ")} |`
    ];
    for (const row of rows)
        lines.push(row.error != null ? `| ${row.name} | failed: ${row.error.replaceAll("|", "/")} |${" |".repeat(header.length - 2)}` : `| ${[
            row.bound ? `*${row.name}*` : row.best != null ? `**${row.name}** (best ${row.best})` : row.name,
            fixed(row.tokensPerSecond, 1),
            ...(byRound ? [row.roundTokensPerSecond?.map((value) => fixed(value, 1)).join(" · ") ?? ""] : []),
            `${row.speedup.toFixed(2)}×`,
            ...(overNative ? [row.speedupOverNativeBig == null ? "" : `${row.speedupOverNativeBig.toFixed(2)}×`] : []),
            fixed(row.repeatPct, 1),
            fixed(row.medianMs, 1),
            fixed(row.totalMs / 1000, 2),
            fixed(row.rougeL, 2),
            signed(row.rougeLDelta),
            fixed(row.bleu, 2),
            fixed(row.rougeLVsBig, 1),
            fixed(row.exactMatchPct, 0),
            fixed(row.prefixAgreementPct, 1),
            fixed(row.meanNllBig, 3),
            fixed(row.draftSharePct, 1),
            fixed(row.acceptancePct, 1),
            row.fallbacks?.toString() ?? "",
            row.rollbacks?.toString() ?? "",
            fixed(row.tokensPerBigCall, 2),
            row.discarded?.toString() ?? "",
            fixed(row.ownTimePct, 1)
        ].join(" | ")} |`);
    return lines.join("\n");
}
