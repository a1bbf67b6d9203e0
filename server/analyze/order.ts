/**
 * Ordering helpers for 40-hex node IDs without BigInt or hashing in the hot path. IDs are fixed-length
 * lowercase hex, so string order is numeric order and a numeric prefix of an ID orders like the ID.
 */

const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) HEX['0123456789abcdef'.charCodeAt(c)] = c;

/** The first `digits` hex digits of `id` as a number (digits ≤ 13, so exact), or -1 if not hex. */
function prefix(id: string, digits: number): number {
  if (id.length < digits) return -1;
  let v = 0;
  for (let i = 0; i < digits; i++) {
    const c = id.charCodeAt(i);
    const d = c < 128 ? HEX[c]! : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * Contract: returns the permutation of 0..ids.length-1 that sorts by (ids[i] as a string, then
 * `tie(i, j)` for equal IDs, then index), in O(n log n). Fast for lowercase hex IDs: it sorts a
 * Float64Array of packed (hex prefix, index) keys, then sorts each run of equal prefixes by the full
 * comparison. Any other string makes it fall back to a plain comparison sort (same result).
 */
export function sortByHexId(ids: readonly string[], tie: (i: number, j: number) => number): Int32Array {
  const n = ids.length;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const digits = Math.min(13, Math.floor((53 - bits) / 4));
  const scale = 2 ** bits;
  const full = (a: number, b: number): number => {
    const x = ids[a]!;
    const y = ids[b]!;
    return x < y ? -1 : x > y ? 1 : tie(a, b) || a - b;
  };
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = prefix(ids[i]!, digits);
    if (v < 0) return Int32Array.from(Array.from({ length: n }, (_, j) => j).sort(full)); // not hex
    keys[i] = v * scale + i;
  }
  keys.sort();
  for (let i = 0; i < n; i++) out[i] = keys[i]! % scale;

  for (let s = 0; s < n;) {
    const p = Math.floor(keys[s]! / scale);
    let e = s + 1;
    while (e < n && Math.floor(keys[e]! / scale) === p) e++;
    if (e - s > 1) {
      const run = Array.from(out.subarray(s, e)).sort(full);
      out.set(run, s);
    }
    s = e;
  }
  return out;
}

/** Index of `id` in `sorted` (ascending, distinct), or -1. O(log n) string comparisons. */
export function indexOfId(sorted: readonly string[], id: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v < id) lo = mid + 1;
    else if (v > id) hi = mid - 1;
    else return mid;
  }
  return -1;
}
