/**
 * Test and benchmark support for the engine: recording hooks, a ring-consistency check against the true
 * ring (global truth, never used by the engine itself), and a pointer-following walk of R1 links.
 */
import type { ManualClock } from '../../core/clock.js';
import type { SimRing } from './ring.js';
import type { NodeHooks, SimLogLevel } from './types.js';

/** Hooks that count and keep what the engine reported. */
export interface RecordingHooks extends NodeHooks {
  ups: number[];
  downs: number[];
  /** Beats per "index:thread". */
  beats: Map<string, number>;
  logs: { index: number; level: SimLogLevel; msg: string; fields?: Record<string, unknown> }[];
}

export function createRecordingHooks(opts: { keepLogs?: boolean } = {}): RecordingHooks {
  const h: RecordingHooks = {
    ups: [],
    downs: [],
    beats: new Map(),
    logs: [],
    up: (i) => void h.ups.push(i),
    down: (i) => void h.downs.push(i),
    beat: (i, thread) => void h.beats.set(`${i}:${thread}`, (h.beats.get(`${i}:${thread}`) ?? 0) + 1),
    log: (index, level, msg, fields) => {
      if (opts.keepLogs !== false) h.logs.push({ index, level, msg, fields });
    },
  };
  return h;
}

export interface Consistency {
  alive: number;
  /** Alive nodes whose L1, L2, R1 or R2 (by snapshot) differs from the true ring. */
  inconsistent: number[];
}

/**
 * Compares every alive node's reported L1/L2/R1/R2 (indices and believed IDs) with the true ring.
 * Optionally restricted to `nodes` (e.g. one side of a partition, compared with that side's own ring).
 */
export function checkConsistency(ring: SimRing, nodes?: number[]): Consistency {
  const order = nodes ? sortLike(ring, nodes) : ring.trueRing();
  const n = order.length;
  const bad: number[] = [];
  for (let p = 0; p < n; p++) {
    const x = order[p]!;
    const s = ring.snapshot(x);
    const want = (d: number): number => order[(((p + d) % n) + n) % n]!;
    const ok = (refs: { index: number; id: string }[], j: number, d: number): boolean =>
      n < 2 || (refs[j]?.index === want(d) && refs[j]?.id === ring.nodeId(want(d)));
    const depth = Math.min(2, n - 1);
    let good = true;
    for (let j = 0; j < depth; j++) good &&= ok(s.ring.right, j, j + 1) && ok(s.ring.left, j, -(j + 1));
    if (!good) bad.push(x);
  }
  return { alive: n, inconsistent: bad };
}

function sortLike(ring: SimRing, nodes: number[]): number[] {
  const rank = new Map(ring.trueRing().map((x, i) => [x, i]));
  return nodes.filter((x) => rank.has(x)).sort((a, b) => rank.get(a)! - rank.get(b)!);
}

/** Follows R1 pointers from `start` until a node repeats or `limit` steps; returns the visited cycle. */
export function followRight(ring: SimRing, start: number, limit = ring.size + 1): number[] {
  const seen = new Set<number>();
  const path: number[] = [];
  let x = start;
  while (!seen.has(x) && path.length < limit) {
    seen.add(x);
    path.push(x);
    const r1 = ring.snapshot(x).ring.right[0];
    if (!r1) break;
    x = r1.index;
  }
  return path;
}

/** Advances the clock in `stepMs` steps until pred() holds; returns the simulated ms it took, or -1. */
export function advanceUntil(clock: ManualClock, pred: () => boolean, stepMs: number, maxMs: number): number {
  for (let waited = 0; waited <= maxMs; waited += stepMs) {
    if (pred()) return waited;
    clock.advance(stepMs);
  }
  return -1;
}
