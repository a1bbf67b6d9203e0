/**
 * GET /nodes, /nodes/:id over the real pipeline: a simulated ring crawled over loopback HTTP, faults
 * injected through the simulator's control API, detector signals persisted by the pipeline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NODE_STATES } from '../../server/core/model.js';
import type { NodeDetail, NodeSummary } from '../../server/store/index.js';
import { fixture, sleep } from '../pipeline/helpers.js';
import { allNodePages, startApi } from './nodes-helpers.js';

type Page = { items: NodeSummary[]; nextCursor: string | null };
type ErrorBody = { error: { code: string; message: string; details?: { path: string }[] } };

void test('node states after faults: persistent, stalled, lost; filters, prefix, pages, detail', async (t) => {
  const f = await fixture(t, { nodes: 30, seed: 21, threadDeadlineMs: 400 }, { lostAfterCrawls: 2 });
  const api = await startApi(t, f.open.store);
  const clean = await f.crawl();
  assert.equal(clean.reachable, 30);

  const stale = (await f.inject({ kind: 'stale-neighbor', node: 4, side: 'right', peer: 17 })).targetIds[0]!;
  const stalled = (await f.inject({ kind: 'stall-thread', node: 12, thread: 'dht' })).targetIds[0]!;
  const killed = (await f.inject({ kind: 'kill', node: 25 })).targetIds[0]!;
  await sleep(600);
  let last = await f.crawl();
  for (let i = 0; i < 3; i++) {
    await sleep(400);
    last = await f.crawl();
  }
  // The pipeline's own view of the detectors' signals, to check the API against.
  assert.deepEqual(last.persistentInconsistent, [stale]);
  assert.deepEqual(last.stalledThreads, [{ nodeId: stalled, thread: 'dht' }]);
  assert.deepEqual(last.lost, [killed]);

  const all = await api.get<Page>('/nodes?limit=1000');
  assert.equal(all.status, 200);
  assert.equal(all.body.nextCursor, null);
  const nodes = all.body.items;
  assert.equal(nodes.length, 30, 'the 29 live nodes and the killed one (still visited, unreachable)');
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  assert.deepEqual(
    nodes.map((n) => n.key),
    [...byKey.keys()].sort(),
    'ordered by node ID',
  );

  const s = byKey.get(stale)!;
  assert.equal(s.state, 'persistent');
  assert.deepEqual(s.flags, ['inconsistent', 'persistent']);
  const st = byKey.get(stalled)!;
  assert.equal(st.state, 'stalled');
  assert.deepEqual(st.stalledThreads, ['dht']);
  assert.ok(st.flags.includes('stalled'));
  const k = byKey.get(killed)!;
  assert.equal(k.state, 'lost');
  assert.deepEqual(k.flags, ['unreachable', 'lost']);
  assert.equal(k.score, null);
  for (const n of nodes) {
    assert.ok(n.flags.includes(n.state), `${n.key}: state is one of its flags`);
    if (![stale, stalled, killed].includes(n.key)) assert.ok(['ok', 'inconsistent'].includes(n.state));
  }

  // Each state filter returns exactly the nodes with that state or flag.
  for (const state of NODE_STATES) {
    const r = await api.get<Page>(`/nodes?state=${state}&limit=1000`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.items.map((n) => n.key),
      nodes.filter((n) => n.flags.includes(state)).map((n) => n.key),
      `state=${state}`,
    );
  }
  const only = async (state: string) =>
    (await api.get<Page>(`/nodes?state=${state}`)).body.items.map((n) => n.key);
  assert.deepEqual(await only('persistent'), [stale]);
  assert.deepEqual(await only('stalled'), [stalled]);
  assert.deepEqual(await only('lost'), [killed]);
  assert.ok((await only('unreachable')).includes(killed));
  assert.ok((await only('inconsistent')).includes(stale));

  // Prefix: case-insensitive, hex only.
  const prefix = stale.slice(0, 2).toUpperCase();
  const byPrefix = await api.get<Page>(`/nodes?prefix=${prefix}`);
  assert.equal(byPrefix.status, 200);
  assert.deepEqual(
    byPrefix.body.items.map((n) => n.key),
    nodes.filter((n) => n.key.startsWith(prefix.toLowerCase())).map((n) => n.key),
  );
  assert.ok(byPrefix.body.items.some((n) => n.key === stale));
  const exact = await api.get<Page>(`/nodes?prefix=${stale}&state=persistent`);
  assert.deepEqual(
    exact.body.items.map((n) => n.key),
    [stale],
  );

  // Pagination walks every node exactly once, in order.
  const walked = await allNodePages<NodeSummary>(api, 'limit=7');
  assert.equal(walked.pages, 5);
  assert.deepEqual(
    walked.items.map((n) => n.key),
    nodes.map((n) => n.key),
  );
  const walkedOk = await allNodePages<NodeSummary>(api, 'state=ok&limit=4');
  assert.deepEqual(
    walkedOk.items.map((n) => n.key),
    nodes.filter((n) => n.flags.includes('ok')).map((n) => n.key),
  );

  // Detail of the stale-neighbor node: R1 reported (the stale peer) differs from the true successor.
  const d = await api.get<NodeDetail>(`/nodes/${stale.toUpperCase()}`);
  assert.equal(d.status, 200);
  assert.equal(d.body.key, stale);
  assert.equal(d.body.state, 'persistent');
  assert.equal(d.body.crawlState, 'inconsistent');
  assert.equal(d.body.slots.R1, f.sim.ring.nodeId(17));
  assert.notEqual(d.body.expected.R1, d.body.slots.R1);
  assert.equal(d.body.mismatch.R1, true);
  assert.equal(d.body.mismatch.L1, false, JSON.stringify(d.body));
  assert.equal(d.body.mismatch.L2, false);
  // The expected ring order is the sorted order of the live nodes, wrapping around.
  const live = nodes
    .filter((n) => n.flags.includes('ok') || n.flags.includes('inconsistent'))
    .map((n) => n.key);
  const at = live.indexOf(stale);
  const ring = (i: number) => live[(at + i + live.length) % live.length];
  assert.deepEqual(d.body.expected, { L1: ring(-1), L2: ring(-2), R1: ring(1), R2: ring(2) });
  assert.ok(d.body.findings.open.some((x) => x.kind === 'wrong_neighbor' && x.slot === 'R1'));
  assert.deepEqual(
    d.body.signals.active.map((x) => x.kind),
    ['persistent_inconsistency'],
  );

  const dk = await api.get<NodeDetail>(`/nodes/${killed}`);
  assert.equal(dk.body.state, 'lost');
  assert.deepEqual(dk.body.mismatch, {}, 'an unreachable node reported no neighbours');
  assert.equal(dk.body.signals.active[0]?.kind, 'node_lost');
  const ds = await api.get<NodeDetail>(`/nodes/${stalled}`);
  assert.equal(ds.body.state, 'stalled');
  assert.deepEqual(
    ds.body.signals.active.map((x) => [x.kind, x.thread]),
    [['thread_stalled', 'dht']],
  );

  // Errors.
  const bad = async (path: string, field: string) => {
    const r = await api.get<ErrorBody>(path);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.error.code, 'bad_request');
    assert.ok(
      r.body.error.details?.some((x) => x.path === field),
      `${path}: ${JSON.stringify(r.body)}`,
    );
  };
  await bad('/nodes?state=bogus', 'state');
  await bad('/nodes?prefix=xyz', 'prefix');
  await bad('/nodes?limit=0', 'limit');
  await bad('/nodes?limit=1001', 'limit');
  await bad('/nodes?color=red', '');
  await bad('/nodes?cursor=%21%21', 'cursor');
  await bad(`/nodes?cursor=${Buffer.from('not a key').toString('base64url')}`, 'cursor');
  await bad('/nodes/not-a-node', 'id');
  await bad(`/nodes/${stale}?x=1`, '');
  const missing = await api.get<ErrorBody>(`/nodes/${'0'.repeat(40)}`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'not_found');
  assert.equal((await api.get(`/nodes/${encodeURIComponent('http://192.0.2.1:1')}`)).status, 404);
  assert.equal((await api.get(`/nodes/${'0'.repeat(40)}/series?range=1h`)).status, 404);

  // Auth: no credentials → 401; a principal whose role is below viewer → 403.
  for (const path of ['/nodes', `/nodes/${stale}`, `/nodes/${stale}/series`]) {
    const anon = await api.get<ErrorBody>(path, null);
    assert.equal(anon.status, 401, path);
    assert.equal(anon.body.error.code, 'unauthenticated');
    const guest = await api.get<ErrorBody>(path, 'guest');
    assert.equal(guest.status, 403, path);
    assert.equal(guest.body.error.code, 'forbidden');
  }
});
