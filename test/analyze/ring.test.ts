import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRing } from '../../server/analyze/index.js';
import type { Visit } from '../../server/core/model.js';
import {
  assertFinding,
  endpointOf,
  failVisit,
  findingKeys,
  mismatchVisit,
  nodeId,
  nodeOf,
  okVisit,
  ringSpecs,
} from './helpers.js';
import type { NodeSpec } from './helpers.js';

const ids = (...ns: number[]): string[] => ns.map(nodeId);
const healthy = (ns: number[], k = 2): Visit[] => ringSpecs(ids(...ns), k).map((s) => okVisit(s));
const n = nodeId;
/** Replaces the spec of `id` in a healthy ring. */
function patched(ns: number[], id: number, patch: Partial<NodeSpec>): Visit[] {
  return ringSpecs(ids(...ns)).map((s) => okVisit(s.id === n(id) ? { ...s, ...patch } : s));
}

void describe('analyzeRing: healthy rings of every small size (wrap-around)', () => {
  void it('an empty crawl is consistent and has no ring', () => {
    const a = analyzeRing([]);
    assert.deepEqual(a, {
      nodes: [],
      findings: [],
      consistency: 1,
      rings: 0,
      mainRingSize: 0,
      offRing: [],
      duplicateIds: [],
    });
  });

  void it('one node is a ring of one, with no slots to fill', () => {
    const a = analyzeRing(healthy([7]));
    assert.equal(a.rings, 1);
    assert.equal(a.mainRingSize, 1);
    assert.deepEqual(a.findings, []);
    const x = nodeOf(a, n(7));
    assert.deepEqual([x.score, x.state, x.ring, x.checks, x.expected], [1, 'ok', 0, {}, {}]);
  });

  void it('two nodes: L1 = R1 = the other, no L2/R2', () => {
    const a = analyzeRing(healthy([1, 2]));
    assert.deepEqual(nodeOf(a, n(1)).expected, { L1: n(2), R1: n(2) });
    assert.deepEqual(nodeOf(a, n(1)).checks, { L1: true, R1: true });
    assert.equal(a.consistency, 1);
    assert.equal(a.rings, 1);
    assert.deepEqual(a.findings, []);
  });

  void it('three nodes: L2 wraps to R1', () => {
    const a = analyzeRing(healthy([30, 10, 20]));
    assert.deepEqual(nodeOf(a, n(10)).expected, { L1: n(30), L2: n(20), R1: n(20), R2: n(30) });
    assert.deepEqual(
      a.nodes.map((x) => x.nodeId),
      ids(10, 20, 30),
    );
    assert.equal(a.consistency, 1);
    assert.deepEqual(a.findings, []);
  });

  for (const size of [4, 5]) {
    void it(`${size} nodes: the first and last wrap around`, () => {
      const ns = Array.from({ length: size }, (_, i) => (i + 1) * 16);
      const a = analyzeRing(healthy(ns, 3));
      const last = n(ns[size - 1]!);
      assert.deepEqual(nodeOf(a, last).expected, {
        L1: n(ns[size - 2]!),
        L2: n(ns[size - 3]!),
        R1: n(ns[0]!),
        R2: n(ns[1]!),
      });
      assert.deepEqual([a.consistency, a.rings, a.mainRingSize, a.findings.length], [1, 1, size, 0]);
      assert.ok(
        a.nodes.every((x) => x.state === 'ok' && x.score === 1 && x.ring === 0),
        'every node ok on ring 0',
      );
    });
  }
});

void describe('analyzeRing: neighbour findings', () => {
  void it('missing_neighbor: an empty slot the ring can fill fails its check, and its mirror', () => {
    const a = analyzeRing(patched([1, 2, 3, 4, 5], 3, { right: [n(4)] }));
    assert.deepEqual(findingKeys(a), ['asymmetric 5 L2', 'missing_neighbor 3 R2']);
    const x = nodeOf(a, n(3));
    assert.deepEqual([x.score, x.state, x.checks.R2], [0.75, 'inconsistent', false]);
    const f = a.findings.find((g) => g.kind === 'asymmetric')!;
    assert.deepEqual([f.nodeId, f.reported, f.expected], [n(5), n(3), undefined]);
    assert.equal(a.consistency, (5 - 0.5) / 5);
  });

  void it('wrong_neighbor: a node skipping a live successor; the skipped node sees asymmetry', () => {
    const a = analyzeRing(patched([1, 2, 3, 4, 5], 1, { right: [n(3), n(4)] }));
    assert.deepEqual(findingKeys(a), [
      'asymmetric 1 R1',
      'asymmetric 1 R2',
      'asymmetric 2 L1',
      'asymmetric 3 L2',
      'off_ring 2 -', // 2 → 3 → 4 → 5 → 1 → 3: nobody's R1 leads back to 2
      'wrong_neighbor 1 R1',
      'wrong_neighbor 1 R2',
    ]);
    const w = a.findings.find((f) => f.kind === 'wrong_neighbor' && f.slot === 'R1')!;
    assert.deepEqual([w.reported, w.expected, w.endpoint], [n(3), n(2), endpointOf(n(1))]);
    assert.equal(nodeOf(a, n(4)).state, 'ok');
  });

  void it('dead_neighbor: slots naming a failed node or one never reached', () => {
    const visits = healthy([1, 2, 3, 4, 5]);
    visits[2] = failVisit(n(3), 'refused'); // node 3 is down; its neighbours still name it
    visits[3] = okVisit({ id: n(4), left: [n(3), n(2)], right: [n(5), n(9)] }); // 9 was never visited
    const a = analyzeRing(visits);
    const dead = a.findings.filter((f) => f.kind === 'dead_neighbor');
    assert.deepEqual(dead.map((f) => `${f.nodeId.slice(-1)} ${f.slot} ${f.reported!.slice(-1)}`).sort(), [
      '1 R2 3',
      '2 R1 3',
      '4 L1 3',
      '4 R2 9',
      '5 L2 3',
    ]);
    assert.match(dead.find((f) => f.slot === 'R1')!.detail, /failed \(refused\)/);
    assert.match(dead.find((f) => f.reported === n(9))!.detail, /not reached/);
    assert.equal(dead.find((f) => f.slot === 'R1')!.expected, n(4));
    const x = nodeOf(a, n(3));
    assert.deepEqual(
      [x.reachable, x.state, x.score, x.endpoint],
      [false, 'unreachable', null, endpointOf(n(3))],
    );
    assert.deepEqual(
      a.nodes.map((y) => y.nodeId),
      ids(1, 2, 3, 4, 5),
    );
    // With 4 live nodes, the ring order now skips 3: 2.R2 = 4 expected 5, and so on.
    assertFinding(a, 'wrong_neighbor 2 R2');
  });

  void it('a slot the live ring is too small for counts as satisfied but a stale entry is still a finding', () => {
    const a = analyzeRing([
      okVisit({ id: n(1), left: [n(2), n(3)], right: [n(2), n(3)] }),
      okVisit({ id: n(2), left: [n(1)], right: [n(1)] }),
      failVisit(n(3)),
    ]);
    const x = nodeOf(a, n(1));
    assert.deepEqual([x.score, x.state, x.checks], [1, 'inconsistent', { L1: true, R1: true }]);
    assert.deepEqual(findingKeys(a), ['dead_neighbor 1 L2', 'dead_neighbor 1 R2']);
    assert.equal(a.consistency, 1);
  });

  void it('a node naming only itself is a wrong neighbour and falls off the ring', () => {
    const a = analyzeRing(patched([1, 2, 3], 2, { right: [n(2)] }));
    assertFinding(a, 'wrong_neighbor 2 R1');
    assert.deepEqual(a.offRing, ids(1, 2, 3)); // 3 → 1 → 2 → 2: every chain ends at the self-loop
    assert.equal(a.rings, 0);
  });
});

void describe('analyzeRing: identities', () => {
  void it('duplicate_id: two machines with one ID are both flagged; one machine visited twice counts once', () => {
    const specs = ringSpecs(ids(1, 2, 3, 4));
    const twin: NodeSpec = { id: n(2), left: [n(4)], right: [n(3)], endpoint: endpointOf(n(2), 1) };
    const visits = [
      ...specs.map((s) => okVisit(s)),
      okVisit(twin),
      okVisit(specs[0]!, 'http://192.0.2.1:7946'), // node 1 again, through another URL
    ];
    const a = analyzeRing(visits);
    assert.deepEqual(a.duplicateIds, [n(2)]);
    const dups = a.findings.filter((f) => f.kind === 'duplicate_id');
    assert.deepEqual(dups.map((f) => f.endpoint).sort(), [endpointOf(n(2)), endpointOf(n(2), 1)]);
    assert.equal(a.nodes.length, 5);
    // The representative (smallest endpoint) answers the checks of others: the ring stays congruent.
    assert.equal(nodeOf(a, n(1)).score, 1);
    const t = nodeOf(a, n(2), endpointOf(n(2), 1));
    // The twin: L1 = 4 (4.R1 = 1), L2 and R2 empty; only R1 = 3 is congruent (3.L1 = 2).
    assert.deepEqual([t.score, t.ring, t.state], [0.25, 0, 'inconsistent']);
  });

  void it("identity 'visited' tells nodes apart by the URL visited", () => {
    const spec = ringSpecs(ids(1, 2))[0]!;
    const visits = [okVisit(spec), okVisit(spec, 'http://192.0.2.1:7946'), ...healthy([1, 2]).slice(1)];
    assert.deepEqual(analyzeRing(visits).duplicateIds, []);
    assert.deepEqual(analyzeRing(visits, { identity: 'visited' }).duplicateIds, [n(1)]);
  });

  void it('id_mismatch: the endpoint answering as someone else; the answer is not a ring member', () => {
    const visits = healthy([1, 2, 3]);
    visits[1] = mismatchVisit(n(2), { id: n(8), left: [n(1)], right: [n(3)] });
    const a = analyzeRing(visits);
    const mm = a.findings.filter((f) => f.kind === 'id_mismatch');
    assert.deepEqual(mm, [
      {
        kind: 'id_mismatch',
        nodeId: n(2),
        endpoint: endpointOf(n(2)),
        reported: n(8),
        expected: n(2),
        detail: mm[0]!.detail,
      },
    ]);
    assert.equal(nodeOf(a, n(2)).state, 'unreachable');
    assert.ok(!a.nodes.some((x) => x.nodeId === n(8)), 'the answered ID is no node of the ring');
    assertFinding(a, 'dead_neighbor 1 R1');
  });

  void it('a failed visit of an ID live elsewhere, or of an unknown identity, adds no node', () => {
    const visits = [
      ...healthy([1, 2, 3]),
      failVisit(n(2), 'timeout', 'http://192.0.2.9:1'),
      failVisit(undefined),
    ];
    const a = analyzeRing(visits);
    assert.deepEqual(
      a.nodes.map((x) => x.state),
      ['ok', 'ok', 'ok'],
    );
    assert.deepEqual(a.findings, []);
  });
});

void describe('analyzeRing: ring structure', () => {
  void it('a partition into two rings: the larger is main, the other is off the main ring', () => {
    const left = ringSpecs(ids(1, 3, 5, 7));
    const right = ringSpecs(ids(2, 4, 6));
    const a = analyzeRing([...left, ...right].map((s) => okVisit(s)));
    assert.deepEqual([a.rings, a.mainRingSize], [2, 4]);
    assert.deepEqual(a.offRing, ids(2, 4, 6));
    assert.deepEqual(
      a.nodes.map((x) => x.ring),
      [0, 1, 0, 1, 0, 1, 0],
    );
    const off = a.findings.filter((f) => f.kind === 'off_ring');
    assert.equal(off.length, 3);
    assert.match(off[0]!.detail, /ring 1 \(3 nodes\)/);
  });

  void it('equal rings: the one holding the smallest ID is main', () => {
    const visits = [...ringSpecs(ids(2, 4, 6)), ...ringSpecs(ids(1, 3, 5))].map((s) => okVisit(s));
    const a = analyzeRing(visits);
    assert.deepEqual([a.rings, a.mainRingSize, a.offRing], [2, 3, ids(2, 4, 6)]);
  });

  void it('an off-ring tail: a node whose R1 leads into the ring that never comes back to it', () => {
    const visits = [
      ...healthy([10, 20, 30, 40]),
      okVisit({ id: n(25), left: [n(20), n(10)], right: [n(30), n(40)] }),
    ];
    const a = analyzeRing(visits);
    assert.deepEqual([a.rings, a.mainRingSize, a.offRing], [1, 4, [n(25)]]);
    assert.equal(nodeOf(a, n(25)).ring, undefined);
    const off = a.findings.find((f) => f.kind === 'off_ring')!;
    assert.match(off.detail, /runs into ring 0/);
    // 25 is live, so 20 and 30 hold the wrong neighbours.
    assertFinding(a, 'wrong_neighbor 20 R1');
    assertFinding(a, 'wrong_neighbor 30 L1');
  });

  void it('a dead R1 is bridged by a live R2, as routing would: the survivors are still one ring', () => {
    const visits = healthy([1, 2, 3, 4]);
    visits[3] = failVisit(n(4));
    const a = analyzeRing(visits);
    assert.deepEqual([a.rings, a.mainRingSize, a.offRing], [1, 3, []]);
  });

  void it('a chain whose successors are all dead is no ring at all', () => {
    const visits = healthy([1, 2, 3, 4, 5]);
    visits[3] = failVisit(n(4));
    visits[4] = failVisit(n(5));
    const a = analyzeRing(visits);
    assert.deepEqual([a.rings, a.mainRingSize, a.offRing], [0, 0, ids(1, 2, 3)]);
    assert.match(a.findings.find((f) => f.kind === 'off_ring')!.detail, /ends at/);
  });

  void it('a lone node whose R1 names itself or a dead node is still a ring of one', () => {
    for (const right of [[n(1)], [n(9)]]) {
      const a = analyzeRing([okVisit({ id: n(1), right })]);
      assert.deepEqual([a.rings, a.mainRingSize, a.offRing], [1, 1, []]);
    }
  });
});
