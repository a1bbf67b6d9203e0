import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeRing, findRings, indexOfId, sortByHexId } from '../../server/analyze/index.js';
import type { Visit } from '../../server/core/model.js';
import { failVisit, makeStatus, nodeId, ringSpecs } from './helpers.js';

/** Hex IDs that often share long prefixes (runs of equal packed keys) or differ only at the end. */
const hexId = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }).map(nodeId),
  fc.bigInt({ min: 0n, max: 4095n }).map(nodeId),
  fc
    .constantFrom('ffffffffff', 'fffffffff0', '00000000000000000000000000000000000000ff')
    .map((p) => p.padEnd(40, '1')),
);

void describe('sortByHexId and indexOfId', () => {
  void it('sort like a plain comparison sort by (id, tie, index), hex or not', () => {
    const anyId = fc.oneof(hexId, fc.string({ maxLength: 12 }), fc.constantFrom('', 'ABC', 'é0', 'zz'));
    fc.assert(
      fc.property(fc.array(fc.oneof(hexId, hexId, anyId), { maxLength: 80 }), fc.nat(), (ids, salt) => {
        const tieKey = ids.map((_, i) => (i * 7 + salt) % 3);
        const tie = (i: number, j: number): number => tieKey[i]! - tieKey[j]!;
        const naive = ids
          .map((_, i) => i)
          .sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : tie(a, b) || a - b));
        assert.deepEqual(Array.from(sortByHexId(ids, tie)), naive);
      }),
      { numRuns: 400 },
    );
  });

  void it('indexOfId finds every member of a sorted list and nothing else', () => {
    fc.assert(
      fc.property(fc.uniqueArray(hexId, { maxLength: 60 }), hexId, (ids, probe) => {
        const sorted = [...ids].sort();
        sorted.forEach((id, i) => assert.equal(indexOfId(sorted, id), i));
        assert.equal(indexOfId(sorted, probe), sorted.indexOf(probe));
      }),
      { numRuns: 300 },
    );
  });
});

void describe('findRings', () => {
  void it('orders rings by size, then smallest index; chains record the ring they run into', () => {
    // 0→1→0 (size 2), 2→3→4→2 (size 3, main), 5→2 (tail into main), 6→6 (self-loop: dead end), 7→6
    const r = findRings(Int32Array.from([1, 0, 3, 4, 2, 2, 6, 6]));
    assert.deepEqual(Array.from(r.ringOf), [1, 1, 0, 0, 0, -1, -1, -1]);
    assert.deepEqual(Array.from(r.endsIn), [1, 1, 0, 0, 0, 0, -1, -1]);
    assert.deepEqual(r.sizes, [3, 2]);
  });

  void it('handles no nodes, and a lone node whatever its pointer', () => {
    assert.deepEqual(findRings(new Int32Array(0)).sizes, []);
    for (const p of [-1, 0]) assert.deepEqual(Array.from(findRings(Int32Array.from([p])).ringOf), [0]);
  });
});

void describe('analyzeRing at scale (correctness only; timing is measured outside the tests)', () => {
  const statusVisit = (spec: Parameters<typeof makeStatus>[0]): Visit => {
    const status = makeStatus(spec);
    return { ok: true, endpoint: status.endpoint, startedAt: 0, durationMs: 1, attempts: 1, status };
  };

  void it('a 100,000-node ring cut once is one 100,000-long chain: no ring, no stack overflow', () => {
    const n = 100_000;
    const specs = ringSpecs(
      Array.from({ length: n }, (_, i) => nodeId(BigInt(i) * 1_000_003n + 17n)),
      2,
    );
    // R1 and R2 → dead nodes: no live successor to route on, so the ring is cut.
    specs[n - 1] = { ...specs[n - 1]!, right: [nodeId(1n << 150n), nodeId(1n << 151n)] };
    const a = analyzeRing(specs.map(statusVisit));
    assert.deepEqual([a.rings, a.mainRingSize, a.offRing.length], [0, 0, n]);
    // The last node X names a dead R1 and a dead R2: every mirror of those two slots breaks.
    const at = new Map(specs.map((x, i) => [x.id, i === n - 1 ? 'X' : String(i)]));
    const keys = a.findings
      .filter((f) => f.kind !== 'off_ring')
      .map((f) => `${f.kind} ${at.get(f.nodeId)} ${f.slot}`);
    assert.deepEqual(keys.sort(), [
      'asymmetric 0 L1', // 0.L1 = X but X.R1 is dead
      'asymmetric 1 L2', // 1.L2 = X but X.R2 is dead
      'dead_neighbor X R1',
      'dead_neighbor X R2',
    ]);
  });

  void it('a 20,000-node ring with every 10th node down: the survivors’ findings are exactly predictable', () => {
    const n = 20_000;
    const specs = ringSpecs(
      Array.from({ length: n }, (_, i) => nodeId(BigInt(i) << 100n)),
      2,
    );
    const visits = specs.map((s, i) => (i % 10 === 0 ? failVisit(s.id, 'timeout') : statusVisit(s)));
    const a = analyzeRing(visits);
    const count = (kind: string): number => a.findings.filter((f) => f.kind === kind).length;
    // Per dead node d: d-1 (R1 dead, R2 wrong), d-2 (R2 dead), d+1 (L1 dead, L2 wrong), d+2 (L2 dead).
    assert.deepEqual([count('dead_neighbor'), count('wrong_neighbor')], [4 * (n / 10), 2 * (n / 10)]);
    // Every d-1 has a dead R1 but a live R2 (d+1): routing bridges each gap, so the survivors form one ring.
    assert.deepEqual([a.rings, a.mainRingSize], [1, n - n / 10]);
    assert.equal(a.nodes.filter((x) => x.state === 'unreachable').length, n / 10);
  });
});
