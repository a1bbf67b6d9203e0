/**
 * Property-based tests: random rings with correct views, random damage, analyzeRing against the
 * brute-force oracle (test/analyze/oracle.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeRing } from '../../server/analyze/index.js';
import type { Visit, VisitErrorKind } from '../../server/core/model.js';
import { endpointOf, failVisit, mismatchVisit, nodeId, okVisit, ringSpecs } from './helpers.js';
import { oracle, summarize } from './oracle.js';

const MOD = 1n << 160n;
/** IDs anywhere on the ring, plus clusters at both ends of the ID space (wrap-around). */
const idArb = fc.oneof(
  fc.bigInt({ min: 0n, max: MOD - 1n }),
  fc.bigInt({ min: 0n, max: 255n }),
  fc.bigInt({ min: MOD - 256n, max: MOD - 1n }),
);

const OPS = [
  'swap', // swap a node's first two entries on one side
  'retarget', // point a slot at another live node (possibly itself)
  'dead', // point a slot at a node that is not live
  'drop', // remove one entry from a side
  'clear', // empty both sides
  'kill', // the node's visit fails
  'split', // cut the ring into two arcs, each rewired as a ring of its own
  'dup', // a second machine answers with the node's ID
  'mismatch', // an endpoint answers with another node's ID
  'revisit', // the same node visited again through another URL
  'orphan', // a failed visit of an endpoint with no known identity
  'selfloop', // the node names itself as R1
  'tail', // a new live node that knows the ring but nobody knows it
] as const;
const opArb = fc.record({ type: fc.constantFrom(...OPS), a: fc.nat(), b: fc.nat(), c: fc.nat() });
type Op = { type: (typeof OPS)[number]; a: number; b: number; c: number };

interface Scenario {
  /** The first 4 are outsiders (never in the ring unless added as a tail); the rest form the ring. */
  ids: bigint[];
  k: number;
  ops: Op[];
  seed: number;
}
const scenario = (minLive: number, maxLive: number, maxOps: number): fc.Arbitrary<Scenario> =>
  fc.record({
    ids: fc.uniqueArray(idArb, { minLength: 4 + minLive, maxLength: 4 + maxLive }),
    k: fc.integer({ min: 2, max: 3 }),
    ops: fc.array(opArb, { maxLength: maxOps }),
    seed: fc.nat(),
  });

const ERRORS: VisitErrorKind[] = ['timeout', 'refused', 'reset', 'unreachable', 'http_status', 'schema'];

interface Mut {
  id: string;
  left: string[];
  right: string[];
}

function rewire(specs: Mut[], members: number[], k: number): void {
  const fresh = ringSpecs(
    members.map((i) => specs[i]!.id),
    k,
  );
  for (const f of fresh) {
    const m = specs.find((s) => s.id === f.id)!;
    m.left = [...f.left!];
    m.right = [...f.right!];
  }
}

/** Mulberry32: a deterministic shuffle from the scenario's seed. */
function shuffle<T>(xs: T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Builds one crawl's visits from a scenario: a correct ring, then the damage. */
function crawl(sc: Scenario): Visit[] {
  const all = sc.ids.map(nodeId);
  const outsiders = all.slice(0, 4);
  const specs: Mut[] = ringSpecs(all.slice(4), sc.k).map((s) => ({
    id: s.id,
    left: [...s.left!],
    right: [...s.right!],
  }));
  const n = specs.length;
  const killed = new Set<number>();
  const extra: Visit[] = [];
  const late: (() => Visit)[] = []; // visits built from the final views
  let tag = 1;
  const setSlot = (m: Mut, c: number, id: string): void => {
    const side = c % 2 === 0 ? m.left : m.right;
    const i = (c >> 1) % 2;
    if (i < side.length) side[i] = id;
    else side.push(id);
  };

  for (const op of sc.ops) {
    const x = specs[op.a % n]!;
    const y = specs[op.b % n]!;
    const side = op.c % 2 === 0 ? x.left : x.right;
    switch (op.type) {
      case 'swap':
        if (side.length >= 2) [side[0], side[1]] = [side[1]!, side[0]!];
        break;
      case 'retarget':
        setSlot(x, op.c, y.id);
        break;
      case 'dead':
        setSlot(x, op.c, op.b % 2 === 0 ? outsiders[op.b % 4]! : y.id); // an outsider, or y (dead if killed)
        break;
      case 'drop':
        if (side.length > 0) side.splice(op.b % side.length, 1);
        break;
      case 'clear':
        x.left = [];
        x.right = [];
        break;
      case 'kill':
        killed.add(op.a % n);
        break;
      case 'split': {
        if (n < 2) break;
        const start = op.b % n;
        const len = 1 + (op.c % (n - 1));
        const arc = Array.from({ length: len }, (_, j) => (start + j) % n);
        rewire(specs, arc, sc.k);
        rewire(
          specs,
          specs.map((_, i) => i).filter((i) => !arc.includes(i)),
          sc.k,
        );
        break;
      }
      case 'dup': {
        const t = tag++;
        const src = { ...y };
        late.push(() => okVisit({ ...src, id: x.id, endpoint: endpointOf(x.id, t) }, undefined, false));
        break;
      }
      case 'mismatch': {
        const known = op.c % 3 === 0 ? outsiders[op.b % 4]! : x.id;
        const t = tag++;
        extra.push(mismatchVisit(op.c % 5 === 4 ? undefined : known, { ...y }, endpointOf(known, 100 + t)));
        break;
      }
      case 'revisit':
        late.push(() => okVisit(x, `http://192.0.2.${op.b % 250}:7946`, false));
        break;
      case 'orphan':
        extra.push(failVisit(undefined, 'refused', `http://192.0.2.200:${op.b % 1000}`));
        break;
      case 'selfloop':
        setSlot(x, 1, x.id);
        break;
      case 'tail': {
        const id = outsiders[op.b % 4]!;
        const view = ringSpecs([...specs.map((s) => s.id), id], sc.k).find((s) => s.id === id)!;
        late.push(() => okVisit(view, undefined, false));
        break;
      }
    }
  }
  const visits = specs.map((s, i) =>
    killed.has(i) ? failVisit(s.id, ERRORS[i % ERRORS.length]) : okVisit(s, undefined, false),
  );
  return shuffle([...visits, ...extra, ...late.map((f) => f())], sc.seed);
}

void describe('analyzeRing against a brute-force oracle', () => {
  void it('agrees on small damaged rings (sizes 1–24, up to 8 kinds of damage)', () => {
    fc.assert(
      fc.property(scenario(1, 24, 8), (sc) => {
        const visits = crawl(sc);
        assert.deepEqual(summarize(analyzeRing(visits)), oracle(visits));
      }),
      { numRuns: 600 },
    );
  });

  void it('agrees on larger rings with sparse damage (sizes 30–150)', () => {
    fc.assert(
      fc.property(scenario(30, 150, 5), (sc) => {
        const visits = crawl(sc);
        assert.deepEqual(summarize(analyzeRing(visits)), oracle(visits));
      }),
      { numRuns: 40 },
    );
  });

  void it('a healthy ring is fully consistent whatever its size and view length', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(idArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 2, max: 5 }),
        (ids, k) => {
          const a = analyzeRing(ringSpecs(ids.map(nodeId), k).map((s) => okVisit(s, undefined, false)));
          assert.deepEqual([a.consistency, a.rings, a.mainRingSize, a.findings], [1, 1, ids.length, []]);
          for (const x of a.nodes)
            assert.deepEqual([x.state, x.score, x.ring, x.reported], ['ok', 1, 0, x.expected]);
        },
      ),
      { numRuns: 200 },
    );
  });

  void it('the order of the visits does not change the analysis', () => {
    fc.assert(
      fc.property(scenario(1, 24, 8), fc.nat(), (sc, seed) => {
        const visits = crawl(sc);
        assert.deepEqual(analyzeRing(shuffle(visits, seed)), analyzeRing(visits));
      }),
      { numRuns: 300 },
    );
  });
});
