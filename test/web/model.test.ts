/**
 * The Ring view's model, without a browser: topology → model, live deltas applied in place (and refused
 * when they do not follow on), detector signals folded into health, neighbours and disagreeing nodes,
 * search and the unhealthy list, and the ring layout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyDelta,
  applySignals,
  deltaFits,
  disagreeing,
  edgeKey,
  emptyModel,
  fromTopology,
  healthCounts,
  healthOf,
  layoutOf,
  mergeConnections,
  neighbours,
  positionOf,
  searchPrefix,
  unhealthy,
} from '../../web/src/ring/model.js';
import { drawnByDefault, leftMirror, shownByMirror } from '../../web/src/ring/edges.js';
import type { TopologyEdge, WireDelta, WireTopology } from '../../web/src/types.js';

const id = (hex: string) => hex.padEnd(40, '0');
const A = id('10');
const B = id('40');
const C = id('80');
const D = id('c0');

const ringEdges = (keys: string[]): TopologyEdge[] =>
  keys.flatMap((k, i) => [
    { from: k, to: keys[(i + 1) % keys.length]!, kind: 'R1' as const },
    { from: k, to: keys[(i + keys.length - 1) % keys.length]!, kind: 'L1' as const },
  ]);

function topology(crawl = 5): WireTopology {
  const keys = [A, B, C, D];
  return {
    crawl: { id: crawl } as WireTopology['crawl'],
    nodes: keys.map((k) => ({
      key: k,
      nodeId: k,
      endpoint: `http://127.0.0.1:${k.slice(0, 2)}`,
      state: 'ok',
      score: 1,
      ring: 0,
      position: positionOf(k),
      health: k === D ? 'stalled' : 'ok',
    })),
    edges: [...ringEdges(keys), { from: A, to: C, kind: 'shortcut' }],
  };
}

const delta = (
  from: number | null,
  to: number,
  d: Partial<WireDelta['nodes']> = {},
  e: Partial<WireDelta['edges']> = {},
): WireDelta => ({
  fromCrawlId: from,
  toCrawlId: to,
  nodes: { added: [], removed: [], changed: [], ...d },
  edges: { added: [], removed: [], ...e },
});

test('a topology becomes a model with positions, health from the server, and edge indexes', () => {
  const m = fromTopology(topology());
  assert.equal(m.crawlId, 5);
  assert.equal(m.nodes.size, 4);
  assert.equal(m.edges.size, 9);
  assert.equal(healthOf(m.nodes.get(D)!), 'stalled');
  assert.equal(healthOf(m.nodes.get(A)!), 'ok');
  assert.equal(positionOf(B), 0.25);
  assert.equal(positionOf('http://x'), null);
  assert.deepEqual([...neighbours(m, A)].sort(), [B, C, D].sort());
  assert.deepEqual(healthCounts(m), {
    ok: 3,
    inconsistent: 0,
    persistent: 0,
    stalled: 1,
    unreachable: 0,
    lost: 0,
  });
});

test('deltas apply only when they follow on from the model’s crawl', () => {
  const m = fromTopology(topology());
  assert.equal(deltaFits(m, { fromCrawlId: 5, toCrawlId: 6 }), 'apply');
  assert.equal(deltaFits(m, { fromCrawlId: 4, toCrawlId: 5 }), 'stale');
  assert.equal(deltaFits(m, { fromCrawlId: 6, toCrawlId: 7 }), 'gap');
  assert.equal(deltaFits(emptyModel(null), { fromCrawlId: null, toCrawlId: 1 }), 'apply');
});

test('applyDelta changes states, adds and removes nodes and edges in place, and reports what changed', () => {
  const m = fromTopology(topology());
  const E = id('e0');
  const change = applyDelta(
    m,
    delta(
      5,
      6,
      {
        added: [{ key: E, nodeId: E, endpoint: 'http://e', state: 'ok', score: 1, ring: 0 }],
        removed: [C],
        changed: [
          { key: A, from: 'ok', to: 'inconsistent' },
          { key: D, from: 'ok', to: 'inconsistent' },
        ],
      },
      { added: [{ from: D, to: E, kind: 'R1' }], removed: [{ from: A, to: B, kind: 'R1' }] },
    ),
  );
  assert.equal(m.crawlId, 6);
  assert.deepEqual(change.nodesRemoved, [C]);
  assert.deepEqual(
    change.nodesAdded.map((n) => n.key),
    [E],
  );
  assert.equal(change.nodesAdded[0]!.scoreAt, 6);
  // D is stalled (a signal), so its crawl state changing does not change its health.
  assert.deepEqual(change.healthChanged, [A]);
  assert.equal(healthOf(m.nodes.get(A)!), 'inconsistent');
  assert.ok(!m.nodes.has(C));
  // C's edges went with it, as did A→B R1.
  for (const e of m.edges.values()) assert.ok(e.from !== C && e.to !== C);
  const removed = change.edgesRemoved.map(edgeKey);
  assert.ok(removed.includes(edgeKey({ from: A, to: B, kind: 'R1' })));
  assert.ok(removed.includes(edgeKey({ from: A, to: C, kind: 'shortcut' })));
  assert.deepEqual(change.edgesAdded, [{ from: D, to: E, kind: 'R1' }]);
  assert.ok(m.out.get(D)!.has(edgeKey({ from: D, to: E, kind: 'R1' })));
});

test('signals from a crawl summary override the crawl state, strongest first, and clear', () => {
  const m = fromTopology(topology());
  const s = { persistentInconsistent: [A, B], stalledThreads: [{ nodeId: B, thread: 'dht' }], lost: [] };
  assert.deepEqual(applySignals(m, s).sort(), [A, B, D].sort());
  assert.equal(healthOf(m.nodes.get(A)!), 'persistent');
  assert.equal(healthOf(m.nodes.get(B)!), 'stalled');
  assert.equal(healthOf(m.nodes.get(D)!), 'ok', 'D’s stall ended');
  assert.deepEqual(
    applySignals(m, { persistentInconsistent: [], stalledThreads: [], lost: [B] }).sort(),
    [A, B].sort(),
  );
  assert.equal(healthOf(m.nodes.get(B)!), 'lost');
  assert.deepEqual(applySignals(m, { persistentInconsistent: [], stalledThreads: [], lost: [B] }), []);
});

test('disagreeing: a stale R1 that its target does not mirror, and a node naming us unanswered', () => {
  const m = fromTopology(topology());
  assert.deepEqual([...disagreeing(m, A)], []);
  // A's R1 now points at C (stale): C's L1 is B, not A; and B still names A as its L1.
  applyDelta(
    m,
    delta(5, 6, {}, { added: [{ from: A, to: C, kind: 'R1' }], removed: [{ from: A, to: B, kind: 'R1' }] }),
  );
  assert.deepEqual([...disagreeing(m, A)].sort(), [B, C].sort());
  assert.deepEqual([...disagreeing(m, C)], [A]);
  assert.deepEqual([...disagreeing(m, D)], []);
});

test('search by ID prefix, unhealthy nodes worst first', () => {
  const m = fromTopology(topology());
  assert.deepEqual(
    searchPrefix(m, '4').map((n) => n.key),
    [B],
  );
  assert.deepEqual(
    searchPrefix(m, ' C0 ').map((n) => n.key),
    [D],
  );
  assert.deepEqual(searchPrefix(m, ''), []);
  assert.equal(searchPrefix(m, '', 1).length, 0);
  applyDelta(
    m,
    delta(5, 6, {
      changed: [
        { key: A, from: 'ok', to: 'unreachable' },
        { key: B, from: 'ok', to: 'inconsistent' },
      ],
    }),
  );
  assert.deepEqual(
    unhealthy(m).map((n) => n.key),
    [D, A, B],
  );
});

test('layout: clockwise from the top at angle position·2π; nodes without an ID on an inner circle', () => {
  const r = 100;
  const top = layoutOf({ key: 'a', position: 0 }, r);
  assert.ok(Math.abs(top.x) < 1e-9 && Math.abs(top.y + r) < 1e-9);
  const right = layoutOf({ key: 'b', position: 0.25 }, r);
  assert.ok(Math.abs(right.x - r) < 1e-9 && Math.abs(right.y) < 1e-9);
  const p = layoutOf({ key: 'http://x', position: null }, r);
  assert.ok(Math.abs(Math.hypot(p.x, p.y) - 85) < 1e-9);
  assert.deepEqual(layoutOf({ key: 'http://x', position: null }, r), p, 'stable');
});

test('drawing: an agreed L1/R1 pair is one line, a disagreeing left slot its own; big rings only ring kinds', () => {
  const m = fromTopology(topology());
  const all = { kinds: new Set(['L1', 'R1', 'shortcut'] as const), big: false };
  const drawn = (p: Parameters<typeof drawnByDefault>[2]) =>
    [...m.edges.values()]
      .filter((e) => drawnByDefault(m, e, p))
      .map((e) => `${e.from.slice(0, 2)}${e.kind}${e.to.slice(0, 2)}`);
  assert.deepEqual(drawn(all).sort(), ['10R140', '10shortcut80', '40R180', '80R1c0', 'c0R110'].sort());
  assert.deepEqual(drawn({ ...all, big: true }).sort(), ['10R140', '40R180', '80R1c0', 'c0R110'].sort());
  assert.equal(drawn({ kinds: new Set(['L1']), big: false }).length, 4, 'L1 alone: its own lines');
  // A's R1 goes stale (→ C): B's L1 → A is no longer mirrored and gets its own line.
  applyDelta(
    m,
    delta(5, 6, {}, { added: [{ from: A, to: C, kind: 'R1' }], removed: [{ from: A, to: B, kind: 'R1' }] }),
  );
  assert.ok(drawn(all).includes('40L110'));
  assert.ok(drawn(all).includes('10R180'));
  assert.equal(leftMirror(m, { from: A, to: D, kind: 'R1' })?.kind, undefined);
  assert.deepEqual(leftMirror(m, { from: C, to: D, kind: 'R1' }), { from: D, to: C, kind: 'L1' });
  assert.ok(shownByMirror(m, { from: D, to: C, kind: 'L1' }, all));
});

test('connections merge into a model loaded with ring slots only, for the same crawl', () => {
  const full = topology();
  const slots = { ...full, edges: full.edges.filter((e) => e.kind !== 'shortcut') };
  const m = fromTopology(slots);
  const other = mergeConnections(m, { ...full, crawl: { ...full.crawl, id: 4 } });
  assert.deepEqual(other.edgesAdded, [], 'another crawl’s edges are not mixed in');
  const c = mergeConnections(m, full);
  assert.deepEqual(c.edgesAdded, [{ from: A, to: C, kind: 'shortcut' }]);
  assert.equal(m.edges.size, full.edges.length);
  assert.deepEqual(mergeConnections(m, full).edgesAdded, [], 'idempotent');
});
