/**
 * A brute-force oracle for analyzeRing, written independently of server/analyze: no sorting of IDs,
 * no maps; expected neighbours by minimum clockwise / counter-clockwise distance computed with BigInt,
 * rings by walking R1 pointers from every node. O(N²) — for property tests on small rings only.
 */
import type { Status } from '../../node-agent/schema.js';
import type { RingAnalysis, Visit } from '../../server/core/model.js';

const MOD = 1n << 160n;
const SLOTS = ['L1', 'L2', 'R1', 'R2'] as const;
type Slot = (typeof SLOTS)[number];

/** The comparable view of an analysis: everything the oracle decides, as plain values. */
export interface Summary {
  /** Per node, keyed "id endpoint". */
  nodes: Record<
    string,
    { score: number | null; state: string; checks: string; expected: string; ring: string }
  >;
  consistency: number;
  rings: number;
  mainRingSize: number;
  offRing: string[];
  duplicateIds: string[];
  /** "kind id endpoint slot reported expected", sorted. */
  findings: string[];
}

const big = (id: string): bigint => BigInt('0x' + id);
const slotsText = (m: Partial<Record<Slot, unknown>>): string =>
  SLOTS.filter((s) => m[s] !== undefined)
    .map((s) => `${s}=${String(m[s])}`)
    .join(',');
const findingText = (k: string, id: string, ep: string, slot?: string, rep?: string, exp?: string): string =>
  [k, id, ep, slot ?? '-', rep ?? '-', exp ?? '-'].join(' ');

function slotOf(s: Status, slot: Slot): string | undefined {
  const list = slot[0] === 'L' ? s.ring.left : s.ring.right;
  return list[slot[1] === '1' ? 0 : 1]?.id;
}
const mirrorOf = (slot: Slot): Slot => ((slot[0] === 'L' ? 'R' : 'L') + slot[1]) as Slot;

/** The k-th (1-based) closest other ID by `dist`, by repeated linear minimum search. */
function kthClosest(others: string[], dist: (y: string) => bigint, k: number): string | undefined {
  const taken: string[] = [];
  for (let round = 0; round < k; round++) {
    let best: string | undefined;
    for (const y of others) {
      if (taken.includes(y)) continue;
      if (best === undefined || dist(y) < dist(best)) best = y;
    }
    if (best === undefined) return undefined;
    taken.push(best);
  }
  return taken[k - 1];
}

export function oracle(visits: readonly Visit[]): Summary {
  const live: { id: string; ep: string; st: Status }[] = [];
  for (const v of visits) {
    if (v.ok && !live.some((x) => x.id === v.status.nodeId && x.ep === v.status.endpoint)) {
      live.push({ id: v.status.nodeId, ep: v.status.endpoint, st: v.status });
    }
  }
  const liveIds: string[] = [];
  for (const x of live) if (!liveIds.includes(x.id)) liveIds.push(x.id);
  const isLive = (id: string): boolean => liveIds.includes(id);
  const rep = (id: string): Status => {
    let best = live.find((x) => x.id === id)!;
    for (const x of live) if (x.id === id && x.ep < best.ep) best = x;
    return best.st;
  };

  const expectedOf = (x: string): Partial<Record<Slot, string>> => {
    const others = liveIds.filter((y) => y !== x);
    const cw = (y: string): bigint => (((big(y) - big(x)) % MOD) + MOD) % MOD;
    const ccw = (y: string): bigint => (((big(x) - big(y)) % MOD) + MOD) % MOD;
    return {
      L1: kthClosest(others, ccw, 1),
      L2: kthClosest(others, ccw, 2),
      R1: kthClosest(others, cw, 1),
      R2: kthClosest(others, cw, 2),
    };
  };

  // Rings: a node is on a ring iff its walk comes back to it.
  // Rings follow each node's first live successor in its right list (R1, else R2, ...).
  const succ = (id: string): string | undefined =>
    rep(id)
      .ring.right.map((e) => e.id)
      .find((r) => r !== id && isLive(r));
  const cycles: string[][] = [];
  const cycleOf = new Map<string, string[]>();
  for (const id of liveIds) {
    const members = [id];
    let cur = succ(id);
    let steps = 0;
    while (cur !== undefined && cur !== id && steps++ < liveIds.length) {
      members.push(cur);
      cur = succ(cur);
    }
    const onCycle = liveIds.length === 1 || cur === id;
    if (!onCycle) continue;
    const key = [...members].sort().join(',');
    let c = cycles.find((m) => [...m].sort().join(',') === key);
    if (c === undefined) cycles.push((c = members));
    cycleOf.set(id, c);
  }
  const minId = (c: string[]): bigint => c.reduce((a, y) => (big(y) < a ? big(y) : a), MOD);
  const ordered = [...cycles].sort((a, b) => b.length - a.length || (minId(a) < minId(b) ? -1 : 1));
  const ringOf = (id: string): number => {
    const c = cycleOf.get(id);
    return c === undefined ? -1 : ordered.indexOf(c);
  };

  const out: Summary = {
    nodes: {},
    consistency: 1,
    rings: ordered.length,
    mainRingSize: ordered[0]?.length ?? 0,
    offRing: liveIds.filter((id) => ringOf(id) !== 0).sort(),
    duplicateIds: liveIds
      .filter(
        (id) =>
          live.filter((x) => x.id === id).length > 1 ||
          visits.some((v) => !v.ok && v.error === 'id_mismatch' && v.status?.nodeId === id),
      )
      .sort(),
    findings: [],
  };
  const fs: string[] = [];
  let sum = 0;
  for (const x of live) {
    const exp = expectedOf(x.id);
    const checks: Partial<Record<Slot, boolean>> = {};
    let fault = false;
    for (const s of SLOTS) {
      const r = slotOf(x.st, s);
      const e = exp[s];
      if (r === undefined && e !== undefined) fs.push(findingText('missing_neighbor', x.id, x.ep, s, r, e));
      if (r !== undefined && !isLive(r)) fs.push(findingText('dead_neighbor', x.id, x.ep, s, r, e));
      if (r !== undefined && isLive(r) && r !== e)
        fs.push(findingText('wrong_neighbor', x.id, x.ep, s, r, e));
      if ((r === undefined && e !== undefined) || (r !== undefined && (!isLive(r) || r !== e))) fault = true;
      if (e === undefined) continue;
      const back = r !== undefined && isLive(r) ? slotOf(rep(r), mirrorOf(s)) : undefined;
      checks[s] = r !== undefined && isLive(r) && back === x.id;
      if (r !== undefined && isLive(r) && back !== x.id)
        fs.push(findingText('asymmetric', x.id, x.ep, s, r, back));
    }
    const score = SLOTS.filter((s) => checks[s] !== false).length / 4;
    sum += score;
    if (out.duplicateIds.includes(x.id)) fs.push(findingText('duplicate_id', x.id, x.ep));
    if (ringOf(x.id) !== 0) fs.push(findingText('off_ring', x.id, x.ep));
    out.nodes[`${x.id} ${x.ep}`] = {
      score,
      state: fault ? 'inconsistent' : 'ok',
      checks: slotsText(checks),
      expected: slotsText(exp),
      ring: String(ringOf(x.id)),
    };
  }
  if (live.length > 0) out.consistency = sum / live.length;

  for (const v of visits) {
    if (v.ok || v.expectedId === undefined || isLive(v.expectedId)) continue;
    const eps = visits.filter((w) => !w.ok && w.expectedId === v.expectedId).map((w) => w.endpoint);
    const ep = eps.reduce((a, b) => (b < a ? b : a));
    const key = `${v.expectedId} ${ep}`;
    out.nodes[key] = { score: null, state: 'unreachable', checks: '', expected: '', ring: '-1' };
  }
  for (const v of visits) {
    if (v.ok || v.error !== 'id_mismatch') continue;
    const who = v.expectedId ?? v.status?.nodeId;
    if (who === undefined) continue;
    const f = findingText('id_mismatch', who, v.endpoint, undefined, v.status?.nodeId, v.expectedId);
    if (!fs.includes(f)) fs.push(f);
  }
  for (const v of visits) {
    if (v.ok || v.error !== 'id_mismatch' || v.status === undefined || !isLive(v.status.nodeId)) continue;
    const f = findingText('duplicate_id', v.status.nodeId, v.endpoint);
    if (!fs.includes(f)) fs.push(f);
  }
  out.findings = fs.sort();
  return out;
}

/** The same summary, read off analyzeRing's result. */
export function summarize(a: RingAnalysis): Summary {
  const nodes: Summary['nodes'] = {};
  let sum = 0;
  let n = 0;
  for (const x of a.nodes) {
    nodes[`${x.nodeId} ${x.endpoint}`] = {
      score: x.score,
      state: x.state,
      checks: slotsText(x.checks),
      expected: slotsText(x.expected),
      ring: String(x.ring ?? -1),
    };
    if (x.score !== null) {
      sum += x.score;
      n++;
    }
  }
  if (n > 0 && Math.abs(sum / n - a.consistency) > 1e-12)
    throw new Error('consistency is not the mean score');
  return {
    nodes,
    consistency: a.consistency,
    rings: a.rings,
    mainRingSize: a.mainRingSize,
    offRing: [...a.offRing].sort(),
    duplicateIds: [...a.duplicateIds].sort(),
    findings: a.findings
      .map((f) => findingText(f.kind, f.nodeId, f.endpoint ?? '?', f.slot, f.reported, f.expected))
      .sort(),
  };
}
