/**
 * The node list and detail over hand-built crawls: nodes known only by endpoint, a lost node that is no
 * longer crawled, expected neighbours on tiny rings, and keyset pages across the ID/endpoint boundary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeDetail, NodeSummary } from '../../server/store/index.js';
import { expectedNeighbors } from '../../server/store/read-nodes.js';
import { openFixture, recordSim, simRing } from '../store/helpers.js';
import { allNodePages, startApi } from './nodes-helpers.js';

void test('endpoint keys sort after node IDs; an absent lost node is listed; pages cross the boundary', async (t) => {
  const { store, clock } = await openFixture(t);
  const ring = simRing(6, 5);
  const ghosts = ['http://192.0.2.7:7000', 'http://192.0.2.8:7000'];
  for (const g of ghosts) ring.ghosts.add(g);
  const c1 = await recordSim(store, clock, ring);
  const gone = [...ring.nodes.values()][2]!;
  ring.nodes.delete(gone.id);
  clock.advance(60_000);
  const c2 = await recordSim(store, clock, ring);
  await store.recordSignals(c2.id, [
    {
      detector: 'node_loss',
      kind: 'node_lost',
      nodeId: gone.id,
      active: true,
      since: clock.now(),
      value: 1,
      detail: 'not reached',
    },
  ]);

  const page = await store.listNodes({ limit: 1000 });
  const ids = [...ring.nodes.keys(), gone.id].sort();
  assert.deepEqual(
    page.items.map((n) => n.key),
    [...ids, ...ghosts],
  );
  const lost = page.items.find((n) => n.key === gone.id)!;
  assert.deepEqual(
    { state: lost.state, flags: lost.flags, last: lost.lastSeenCrawl, score: lost.score },
    { state: 'lost', flags: ['lost'], last: c1.id, score: 1 },
  );
  const ghost = page.items.find((n) => n.key === ghosts[0])!;
  assert.deepEqual(
    { nodeId: ghost.nodeId, state: ghost.state, endpoint: ghost.endpoint, last: ghost.lastSeenCrawl },
    { nodeId: null, state: 'unreachable', endpoint: ghosts[0], last: c2.id },
  );
  assert.deepEqual(
    (await store.listNodes({ state: 'unreachable' })).items.map((n) => n.key),
    ghosts,
  );
  assert.deepEqual(
    (await store.listNodes({ state: 'lost' })).items.map((n) => n.key),
    [gone.id],
  );
  assert.equal((await store.listNodes({ state: 'stalled' })).items.length, 0);
  const prefixed = await store.listNodes({ prefix: gone.id.slice(0, 1) });
  assert.ok(prefixed.items.every((n) => n.nodeId?.startsWith(gone.id.slice(0, 1))));

  const api = await startApi(t, store);
  for (const limit of [1, 3, 6, 7, 8, 9]) {
    const walked = await allNodePages<NodeSummary>(api, `limit=${limit}`);
    assert.deepEqual(
      walked.items.map((n) => n.key),
      [...ids, ...ghosts],
      `limit ${limit}`,
    );
    assert.equal(walked.pages, Math.max(1, Math.ceil((ids.length + ghosts.length) / limit)));
  }
  const lastPage = await api.get<{ items: NodeSummary[]; nextCursor: string | null }>(
    `/nodes?limit=${ids.length + ghosts.length}`,
  );
  assert.equal(lastPage.body.nextCursor, null, 'no empty page after an exactly full one');

  const g = await api.get<NodeDetail>(`/nodes/${encodeURIComponent(ghosts[1]!)}`);
  assert.equal(g.status, 200);
  assert.deepEqual(
    { key: g.body.key, nodeId: g.body.nodeId, state: g.body.state, expected: g.body.expected },
    { key: ghosts[1], nodeId: null, state: 'unreachable', expected: {} },
  );
  const d = await api.get<NodeDetail>(`/nodes/${gone.id}`);
  assert.equal(d.body.state, 'lost');
  assert.equal(d.body.present, false);
  assert.deepEqual(d.body.mismatch, {});
  assert.equal(d.body.signals.active.length, 1);
  // Its expected neighbours are the live nodes around its ID.
  const live = [...ring.nodes.keys(), gone.id].sort();
  const at = live.indexOf(gone.id);
  const others = live.filter((k) => k !== gone.id);
  assert.deepEqual(d.body.expected, {
    L1: live[(at - 1 + live.length) % live.length],
    L2: live[(at - 2 + live.length) % live.length],
    R1: live[(at + 1) % live.length],
    R2: live[(at + 2) % live.length],
  });
  assert.ok(others.includes(d.body.expected.R1!));

  // Recording the clear: the node is no longer listed (it is not in the latest crawl).
  clock.advance(60_000);
  const c3 = await recordSim(store, clock, ring);
  await store.recordSignals(c3.id, [
    {
      detector: 'node_loss',
      kind: 'node_lost',
      nodeId: gone.id,
      active: false,
      since: 0,
      detail: 'forgotten',
    },
  ]);
  assert.ok(!(await store.listNodes()).items.some((n) => n.key === gone.id));
  assert.equal((await store.nodeDetail(gone.id))?.state, 'unreachable', 'absent, nothing active');
});

void test('expected neighbours on tiny rings wrap around like the analysis', async (t) => {
  const { store, clock, db } = await openFixture(t);
  const ring = simRing(3, 11);
  await recordSim(store, clock, ring);
  const [a, b, c] = [...ring.nodes.keys()].sort() as [string, string, string];
  assert.deepEqual(await expectedNeighbors(db, a), { L1: c, L2: b, R1: b, R2: c });
  assert.deepEqual(await expectedNeighbors(db, c), { L1: b, L2: a, R1: a, R2: b });
  ring.nodes.get(b)!.up = false; // unreachable: not a live node
  clock.advance(60_000);
  await recordSim(store, clock, ring);
  assert.deepEqual(await expectedNeighbors(db, a), { L1: c, R1: c });
  assert.deepEqual(await expectedNeighbors(db, b), { L1: a, L2: c, R1: c, R2: a });
  ring.nodes.get(c)!.up = false;
  clock.advance(60_000);
  await recordSim(store, clock, ring);
  assert.deepEqual(await expectedNeighbors(db, a), {});
  const detail = await store.nodeDetail(a);
  assert.deepEqual(detail?.mismatch, {}, 'alone on the ring: nothing expected, nothing reported');
});
