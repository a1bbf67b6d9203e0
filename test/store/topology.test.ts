import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NeighborSlot } from '../../server/core/model.js';
import type { CrawlDelta, Topology } from '../../server/store/index.js';
import { addNode, edgeString, openFixture, recordSim, simRing, tickCounters } from './helpers.js';
import type { Expected, SimRing } from './helpers.js';

type Op =
  | { t: 'join' }
  | { t: 'ghost' }
  | { t: 'unghost' }
  | { t: 'leave' | 'toggle' | 'heal' | 'unshortcut' | 'restart' | 'move'; i: number }
  | { t: 'override'; i: number; j: number; slot: NeighborSlot }
  | { t: 'drop'; i: number; slot: 'L2' | 'R2' }
  | { t: 'shortcut'; i: number; j: number }
  | { t: 'relay'; i: number; j: number; k: number };

const idx = fc.nat({ max: 1000 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constantFrom<Op>({ t: 'join' }, { t: 'ghost' }, { t: 'unghost' }),
  fc.record({
    t: fc.constantFrom('leave', 'toggle', 'heal', 'unshortcut', 'restart', 'move' as const),
    i: idx,
  }) as fc.Arbitrary<Op>,
  fc.record({
    t: fc.constant('override' as const),
    i: idx,
    j: idx,
    slot: fc.constantFrom<NeighborSlot>('L1', 'L2', 'R1', 'R2'),
  }),
  fc.record({ t: fc.constant('drop' as const), i: idx, slot: fc.constantFrom<'L2' | 'R2'>('L2', 'R2') }),
  fc.record({ t: fc.constant('shortcut' as const), i: idx, j: idx }),
  fc.record({ t: fc.constant('relay' as const), i: idx, j: idx, k: idx }),
);

function apply(ring: SimRing, op: Op, serial: { n: number }): void {
  const nodes = [...ring.nodes.values()];
  const at = (i: number) => nodes[i % nodes.length]!;
  if (op.t === 'join') return void addNode(ring);
  if (op.t === 'ghost') return void ring.ghosts.add(`http://203.0.113.${serial.n++}:7000`);
  if (op.t === 'unghost') return void ring.ghosts.delete([...ring.ghosts][0] ?? '');
  if (nodes.length === 0) return;
  const n = at(op.i);
  switch (op.t) {
    case 'leave':
      if (nodes.length > 2) ring.nodes.delete(n.id);
      return;
    case 'toggle':
      n.up = !n.up;
      return;
    case 'heal':
      n.override = {};
      return;
    case 'unshortcut':
      n.shortcuts.pop();
      return;
    case 'restart':
      n.version = `1.0.${serial.n++}`;
      n.startedAt += 3_600_000;
      n.cpuMs = 10;
      return;
    case 'move':
      n.endpoint = `http://10.200.0.${serial.n++}:7001`;
      return;
    case 'override':
      n.override[op.slot] = at(op.j).id;
      return;
    case 'drop':
      n.override[op.slot] = null;
      return;
    case 'shortcut':
      n.shortcuts.push(at(op.j).id);
      return;
    case 'relay': {
      const peer = at(op.j).id;
      const existing = n.relays.find((r) => r.peer === peer);
      if (existing) existing.via = at(op.k).id;
      else n.relays.push({ peer, via: at(op.k).id });
      return;
    }
  }
}

function shape(topo: Topology | null): Expected {
  assert.ok(topo, 'topology of a retained crawl');
  return {
    nodes: topo.nodes.map(({ key, nodeId, endpoint, state, score }) => ({
      key,
      nodeId,
      endpoint: endpoint!,
      state,
      score,
    })),
    edges: topo.edges.map(edgeString).sort(),
  };
}

void test('topologyAt reproduces every recorded crawl exactly, and deltas chain crawl to crawl', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 30 }),
      fc.integer({ min: 3, max: 14 }),
      fc.array(fc.array(opArb, { maxLength: 6 }), { minLength: 2, maxLength: 8 }),
      async (seed, size, steps) => {
        runs++;
        const { db, store, clock } = await openFixture(t);
        try {
          const ring = simRing(size, seed);
          const serial = { n: 1 };
          const recorded: { id: number; expected: Expected }[] = [];
          const deltas: CrawlDelta[] = [];
          for (const ops of [[], ...steps]) {
            for (const op of ops) apply(ring, op, serial);
            const { id, sim, delta } = await recordSim(store, clock, ring);
            recorded.push({ id, expected: sim.expected });
            deltas.push(delta);
            tickCounters(ring);
            clock.advance(60_000);
          }
          let prev: Expected | undefined;
          for (const [i, { id, expected }] of recorded.entries()) {
            const got = shape(await store.topologyAt(id));
            assert.deepEqual(got, expected, `crawl ${id}`);
            const d = deltas[i]!;
            assert.equal(d.previousCrawlId, i === 0 ? null : recorded[i - 1]!.id);
            const before = new Set(prev?.edges ?? []);
            for (const e of d.edgesRemoved)
              assert.ok(before.delete(edgeString(e)), `removed edge existed: ${edgeString(e)}`);
            for (const e of d.edgesAdded) before.add(edgeString(e));
            assert.deepEqual([...before].sort(), expected.edges, `delta chains into crawl ${id}`);
            const keys = new Set(prev?.nodes.map((n) => n.key) ?? []);
            for (const k of d.nodesRemoved) assert.ok(keys.delete(k));
            for (const n of d.nodesAdded) keys.add(n.key);
            assert.deepEqual(
              [...keys].sort(),
              expected.nodes.map((n) => n.key),
            );
            const prevState = new Map(prev?.nodes.map((n) => [n.key, n.state]) ?? []);
            const changed = expected.nodes
              .filter((n) => prevState.has(n.key) && prevState.get(n.key) !== n.state)
              .map((n) => ({ key: n.key, from: prevState.get(n.key), to: n.state }));
            assert.deepEqual(
              [...d.nodesChanged].sort((a, b) => (a.key < b.key ? -1 : 1)),
              changed,
            );
            prev = expected;
          }
          assert.equal(await store.topologyAt(9999), null);
          for (const table of ['connections', 'ring_slots', 'node_facts', 'findings']) {
            const bad = await db.get<{ n: number }>(
              `SELECT count(*) AS n FROM ${table} WHERE to_crawl IS NOT NULL AND to_crawl <= from_crawl`,
            );
            assert.equal(bad?.n, 0, `no empty intervals in ${table}`);
          }
        } finally {
          await db.close();
        }
      },
    ),
    { numRuns: 30, seed: 20260101 },
  );
  assert.equal(runs, 30);
});
