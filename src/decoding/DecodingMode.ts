/** The decoding modes; what each runs is the mode table's (`modeTable.ts`). */
export const DECODING_MODES = ["big", "little", "speculative", "bild", "lookup", "ngram"] as const;
export type DecodingMode = (typeof DECODING_MODES)[number];
