/**
 * A small seeded random source (mulberry32): the fuzz suite derives every input from one seed,
 * so a failure replays exactly with FLOWC_FUZZ_SEED (and one case alone with FLOWC_FUZZ_CASE).
 */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A child source for one case: the same seed and index always give the same stream. */
  fork(index: number): Rng {
    return new Rng(Math.imul(this.#state ^ Math.imul(index + 1, 0x9e3779b1), 0x85ebca6b) ^ index);
  }
}

/** The seed of a run: FLOWC_FUZZ_SEED when set, else a fresh one (printed, so it can be replayed). */
export function fuzzSeed(env: NodeJS.ProcessEnv): number {
  const given = env.FLOWC_FUZZ_SEED;
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isInteger(seed)) throw new Error(`FLOWC_FUZZ_SEED must be an integer, not '${given}'`);
    return seed >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
