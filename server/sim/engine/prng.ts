/**
 * Seeded pseudo-random numbers for the simulation engine. Every random choice the engine makes comes from a
 * Prng created from the run's seed (or from hash32 of stable inputs), so one seed reproduces one run.
 */

/**
 * A seeded random stream (xoshiro128**, seeded through splitmix32).
 *
 * Contract: the sequence depends only on the seed; next() is uniform in [0, 1); int(n) is uniform in
 * [0, n) for 1 <= n <= 2^32; exp(mean) is exponentially distributed with that mean (mean > 0).
 */
export interface Prng {
  next(): number;
  u32(): number;
  int(n: number): number;
  range(lo: number, hi: number): number;
  exp(mean: number): number;
  /** In-place Fisher-Yates shuffle; returns the same array. */
  shuffle<T>(arr: T[]): T[];
  /** A new, independent stream derived from this one (for separating concerns, e.g. faults vs protocol). */
  fork(): Prng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createPrng(seed: number): Prng {
  const sm = splitmix32(Math.floor(seed) >>> 0);
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  if ((a | b | c | d) === 0) a = 1;
  const u32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => u32() / 4294967296;
  const prng: Prng = {
    next,
    u32,
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + next() * (hi - lo),
    exp: (mean) => -Math.log(1 - next()) * mean,
    shuffle<T>(arr: T[]): T[] {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = arr[i]!;
        arr[i] = arr[j]!;
        arr[j] = tmp;
      }
      return arr;
    },
    fork: () => createPrng(u32() ^ Math.imul(u32(), 0x27d4eb2d)),
  };
  return prng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Stateless mixing of up to four integers into a uint32 (murmur3 finaliser); same inputs, same output. */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = Math.imul(a ^ 0x3c6ef372, 0x9e3779b1) >>> 0;
  h = mix(h, b);
  h = mix(h, c);
  h = mix(h, d);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

/** hash32 mapped to [0, 1). */
export function hashUnit(a: number, b = 0, c = 0, d = 0): number {
  return hash32(a, b, c, d) / 4294967296;
}
