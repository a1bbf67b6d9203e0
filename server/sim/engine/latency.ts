/**
 * Latency model: round-trip times between simulated nodes, either a constant or a real all-pairs RTT matrix
 * (integers in microseconds, like shared/data/latency/rtt_matrix.txt), plus small seeded per-link jitter.
 * Nothing is stored per link: jitter is a hash of the (unordered) node pair, so the model costs O(hosts^2).
 */
import { readFileSync } from 'node:fs';
import { createPrng } from './prng.js';

/** Cheap symmetric per-link hash in [-1, 1) (hot path: one call per message). */
function linkNoise(seed: number, a: number, b: number): number {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) ^ seed;
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 13;
  return (h >>> 0) / 2147483648 - 1;
}

/** A square RTT matrix in microseconds; -1 marks an unknown entry. */
export interface RttMatrix {
  readonly size: number;
  /** Row-major size*size entries, microseconds. */
  readonly us: Int32Array;
}

/**
 * Options for createLatencyModel. Exactly one source is used: `matrix`, else `matrixFile`, else the constant
 * `latencyMs` (default 100 ms RTT).
 */
export interface LatencyOptions {
  seed?: number;
  /** Constant RTT in ms (used when no matrix is given). Default 100. */
  latencyMs?: number;
  /** Path of an RTT matrix file (µs, whitespace separated). */
  matrixFile?: string;
  /** An already-parsed matrix (takes precedence over matrixFile). */
  matrix?: RttMatrix;
  /** Relative per-link jitter amplitude: rtt × (1 ± jitter). Default 0.05 with a matrix, 0 when constant. */
  jitter?: number;
  /** Host index (into the matrix) of the crawler, for crawlerRttMs. Default: a seeded random host. */
  crawlerHost?: number;
  /** RTT between two nodes mapped to the same host (or a 0 matrix entry). Default 0.2 ms. */
  sameHostRttMs?: number;
}

/**
 * Round-trip and one-way delays between nodes (any index >= 0) and from the crawler's host.
 *
 * Contract: rttMs is symmetric, deterministic for a seed, > 0 for distinct nodes and 0 for a node with
 * itself; oneWayMs = rttMs / 2. Node i maps to host perm[i % hosts] for a seeded permutation perm, so
 * nodes get distinct hosts while N <= hosts and hosts are reused round-robin beyond.
 */
export interface LatencyModel {
  readonly source: 'constant' | 'matrix';
  readonly hosts: number;
  hostOf(node: number): number;
  rttMs(a: number, b: number): number;
  oneWayMs(a: number, b: number): number;
  crawlerRttMs(node: number): number;
}

/** Parses a whitespace-separated square matrix of integers (fast byte scan). Throws when not square. */
export function parseRttMatrix(input: string | Uint8Array): RttMatrix {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let out = new Int32Array(1024);
  let count = 0;
  let i = 0;
  const len = buf.length;
  while (i < len) {
    let ch = buf[i]!;
    if (ch === 32 || ch === 9 || ch === 10 || ch === 13) {
      i++;
      continue;
    }
    let neg = false;
    if (ch === 45) {
      neg = true;
      i++;
      ch = i < len ? buf[i]! : 0;
    }
    if (ch < 48 || ch > 57) throw new Error(`rtt matrix: unexpected byte ${ch} at offset ${i}`);
    let v = 0;
    while (i < len) {
      ch = buf[i]!;
      if (ch < 48 || ch > 57) break;
      v = v * 10 + (ch - 48);
      i++;
    }
    if (i < len && ch === 46) {
      // tolerate a fractional part: skip it (entries are µs, sub-µs precision is irrelevant)
      i++;
      while (i < len && buf[i]! >= 48 && buf[i]! <= 57) i++;
    }
    if (count === out.length) {
      const grown = new Int32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[count++] = neg ? -v : v;
  }
  const size = Math.round(Math.sqrt(count));
  if (size === 0 || size * size !== count) throw new Error(`rtt matrix: ${count} entries is not a square`);
  const us = out.slice(0, count);
  fillUnknown(us, size);
  return { size, us };
}

/** Replaces unknown (-1) entries by the symmetric entry, else by the median of known off-diagonal entries. */
function fillUnknown(us: Int32Array, size: number): void {
  let unknown = 0;
  for (let k = 0; k < us.length; k++) if (us[k]! < 0) unknown++;
  if (unknown === 0) return;
  const known: number[] = [];
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) if (r !== c && us[r * size + c]! >= 0) known.push(us[r * size + c]!);
  known.sort((a, b) => a - b);
  const median = known.length ? known[known.length >> 1]! : 100_000;
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      const k = r * size + c;
      if (us[k]! >= 0) continue;
      const sym = us[c * size + r]!;
      us[k] = sym >= 0 ? sym : median;
    }
}

export function loadRttMatrix(path: string): RttMatrix {
  return parseRttMatrix(readFileSync(path));
}

export function createLatencyModel(opts: LatencyOptions): LatencyModel {
  const seed = opts.seed ?? 1;
  const rng = createPrng(seed ^ 0x1a7e);
  const sameHost = opts.sameHostRttMs ?? 0.2;
  const matrix = opts.matrix ?? (opts.matrixFile !== undefined ? loadRttMatrix(opts.matrixFile) : undefined);
  if (matrix === undefined) {
    const base = opts.latencyMs ?? 100;
    if (!(base >= 0)) throw new Error('latencyMs must be >= 0');
    const jitter = opts.jitter ?? 0;
    const rtt = (a: number, b: number): number =>
      a === b ? 0 : Math.max(0.01, base * (1 + jitter * linkNoise(seed, a, b)));
    return {
      source: 'constant',
      hosts: 1,
      hostOf: () => 0,
      rttMs: rtt,
      oneWayMs: (a, b) => rtt(a, b) / 2,
      crawlerRttMs: (node) => Math.max(0.01, base * (1 + jitter * linkNoise(seed ^ 0x5bd1e995, node, -1))),
    };
  }
  const hosts = matrix.size;
  const us = matrix.us;
  const jitter = opts.jitter ?? 0.05;
  const perm = rng.shuffle(Array.from({ length: hosts }, (_, h) => h));
  const hostOf = (node: number): number => perm[node % hosts]!;
  const crawlerHost = opts.crawlerHost ?? rng.int(hosts);
  if (crawlerHost < 0 || crawlerHost >= hosts) throw new Error(`crawlerHost must be in [0, ${hosts})`);
  const hostRtt = (ha: number, hb: number): number => {
    if (ha === hb) return sameHost;
    const v = us[ha * hosts + hb]! / 1000;
    return v > 0 ? v : sameHost;
  };
  const rtt = (a: number, b: number): number =>
    a === b ? 0 : hostRtt(hostOf(a), hostOf(b)) * (1 + jitter * linkNoise(seed, a, b));
  return {
    source: 'matrix',
    hosts,
    hostOf,
    rttMs: rtt,
    oneWayMs: (a, b) => rtt(a, b) / 2,
    crawlerRttMs: (node) =>
      hostRtt(crawlerHost, hostOf(node)) * (1 + jitter * linkNoise(seed ^ 0x5bd1e995, node, -1)),
  };
}
