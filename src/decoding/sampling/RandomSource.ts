import {uniformFloat64} from "pure-rand/distribution/uniformFloat64";
import {mersenne} from "pure-rand/generator/mersenne";

/** Uniform random numbers in [0, 1) for one generation. */
export interface RandomSource {
    next(): number;
}

/**
 * A {@link RandomSource} that repeats its sequence for the same seed. Mersenne Twister, because its
 * seeding spreads nearby seeds apart: pure-rand's xoroshiro128+ starts seeds 0, 1, 2, … with
 * nearly the same numbers, which would make consecutive seeds draw the same first tokens.
 */
export function seededRandom(seed: number): RandomSource {
    // Seeded on the first draw: greedy generations get a source too (policies may ask) but never draw.
    let generator: ReturnType<typeof mersenne> | undefined;
    return {next: () => uniformFloat64(generator ??= mersenne(seed))};
}
