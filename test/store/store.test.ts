import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusSchema } from '../../node-agent/schema.js';
import { createStore, openDatabase, INTERRUPTED_REASON } from '../../server/store/index.js';
import type { Database } from '../../server/store/index.js';
import { addNode, crawlOf, openFixture, recordSim, simRing, tickCounters } from './helpers.js';

void test('the simulator produces schema-valid status documents', () => {
  const ring = simRing(12, 3);
  const sim = crawlOf(ring, Date.UTC(2026, 0, 1));
  for (const v of sim.result.visits) if (v.ok) StatusSchema.parse(v.status);
  assert.equal(sim.result.visits.length, 12);
});

void test('crawl lifecycle: begin → running, record/finish → final; errors for misuse', async (t) => {
  const { store, clock } = await openFixture(t);
  assert.equal(await store.latestCrawl(), null);
  const ring = simRing(8);
  const id = await store.beginCrawl({ strategy: 'parallel', seeds: ['http://10.0.0.0:7000'] });
  const running = await store.getCrawl(id);
  assert.equal(running?.state, 'running');
  assert.equal(running?.startedAt, clock.now());
  assert.deepEqual(running?.seeds, ['http://10.0.0.0:7000']);
  assert.equal(running?.data, 'none');
  assert.equal(await store.latestCrawl(), null, 'latestCrawl only returns recorded crawls');

  const sim = crawlOf(ring, clock.now());
  await store.recordCrawl(id, sim.result, sim.analysis);
  const done = await store.getCrawl(id);
  assert.equal(done?.state, 'succeeded');
  assert.equal(done?.data, 'raw');
  assert.equal(done?.durationMs, 1500);
  assert.equal(done?.discovered, 8);
  assert.equal(done?.reachable, 8);
  assert.equal(done?.consistency, 1);
  assert.deepEqual(done?.findings, {});
  assert.equal((await store.latestCrawl())?.id, id);
  await assert.rejects(store.recordCrawl(id, sim.result, sim.analysis), /is succeeded, not running/);
  await assert.rejects(store.finishCrawl(id, { state: 'failed' }), /not running/);
  await assert.rejects(store.recordCrawl(999, sim.result, sim.analysis), /does not exist/);

  clock.advance(60_000);
  const failed = await store.beginCrawl({ strategy: 'ring-walk' });
  await store.finishCrawl(failed, { state: 'failed', reason: 'no seed answered' });
  const f = await store.getCrawl(failed);
  assert.deepEqual([f?.state, f?.reason, f?.data, f?.durationMs], ['failed', 'no seed answered', 'none', 0]);

  const a = await store.beginCrawl({ strategy: 'parallel' });
  const b = await store.beginCrawl({ strategy: 'parallel' });
  await store.recordCrawl(b, crawlOf(ring, clock.now()).result, crawlOf(ring, clock.now()).analysis);
  await assert.rejects(store.recordCrawl(a, sim.result, sim.analysis), /not newer than recorded crawl/);
  assert.deepEqual(
    (await store.listCrawls({ limit: 3 })).map((c) => c.id),
    [b, a, failed],
  );
  assert.deepEqual(
    (await store.listCrawls({ before: failed })).map((c) => c.id),
    [id],
  );
});

void test('a crawl left running by a crashed process is aborted on the next open', async (t) => {
  const { file, db, clock } = await openFixture(t);
  const store = await createStore(db, clock);
  const id = await store.beginCrawl({ strategy: 'parallel' });
  clock.advance(5000);
  await db.close();

  const db2: Database = await openDatabase(file, { clock });
  t.after(() => db2.close());
  const store2 = await createStore(db2, clock);
  assert.deepEqual(store2.abortedOnOpen, [id]);
  const c = await store2.getCrawl(id);
  assert.deepEqual(
    [c?.state, c?.reason, c?.finishedAt, c?.durationMs],
    ['aborted', INTERRUPTED_REASON, clock.now(), 5000],
  );
  const again = await createStore(db2, clock);
  assert.deepEqual(again.abortedOnOpen, []);
});

void test('a failing recordCrawl leaves nothing behind', async (t) => {
  const { db, store, clock } = await openFixture(t);
  const ring = simRing(5);
  const id = await store.beginCrawl({ strategy: 'parallel' });
  const sim = crawlOf(ring, clock.now());
  sim.analysis.nodes[2]!.state = 'bogus' as 'ok';
  await assert.rejects(store.recordCrawl(id, sim.result, sim.analysis), /unknown node state bogus/);
  for (const table of ['nodes', 'observations', 'ring_slots', 'connections', 'node_facts', 'endpoints']) {
    assert.equal((await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n, 0, table);
  }
  assert.equal((await store.getCrawl(id))?.state, 'running');
});

const TOPOLOGY_TABLES = ['ring_slots', 'connections', 'node_facts', 'findings', 'endpoints'];

async function dump(db: Database): Promise<string> {
  const parts: string[] = [];
  for (const table of TOPOLOGY_TABLES)
    parts.push(JSON.stringify(await db.all(`SELECT * FROM ${table} ORDER BY 1, 2`)));
  parts.push(JSON.stringify(await db.all('SELECT * FROM nodes ORDER BY id')));
  return parts.join('\n');
}

void test('an unchanged ring writes nothing but observations (and the crawl row)', async (t) => {
  const { db, store, clock } = await openFixture(t);
  const ring = simRing(60, 5);
  const ids = [...ring.nodes.keys()];
  [...ring.nodes.values()].forEach((n, i) => (n.shortcuts = [ids[(i + 17) % 60]!, ids[(i + 31) % 60]!]));
  ring.nodes.get(ids[3]!)!.override = { R1: ids[40]! };
  ring.nodes.get(ids[9]!)!.up = false;
  ring.ghosts.add('http://198.51.100.7:7000');
  const first = await recordSim(store, clock, ring);
  assert.equal(first.delta.nodesAdded.length, 61);
  const before = await dump(db);
  const changes = async () => (await db.get<{ n: number }>('SELECT total_changes() AS n'))!.n;
  for (let i = 0; i < 5; i++) {
    tickCounters(ring);
    clock.advance(60_000);
    const c0 = await changes();
    const { delta } = await recordSim(store, clock, ring);
    assert.equal(
      (await changes()) - c0,
      61 + 2,
      'rows written: one observation per node + crawl insert/update',
    );
    assert.deepEqual(
      [delta.nodesAdded, delta.nodesRemoved, delta.nodesChanged, delta.edgesAdded, delta.edgesRemoved],
      [[], [], [], [], []],
    );
    assert.deepEqual([delta.findingsOpened, delta.findingsClosed], [[], []]);
  }
  assert.equal(await dump(db), before, 'topology, facts, findings and node rows are untouched');
  assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM observations'))?.n, 6 * 61);
});

void test('node history, latest state, known endpoints and findings', async (t) => {
  const { store, clock } = await openFixture(t);
  const ring = simRing(10, 9);
  const nodes = [...ring.nodes.values()];
  const [a, b] = [nodes[0]!, nodes[1]!];
  ring.ghosts.add('http://198.51.100.9:7000');
  const t0 = clock.now();
  for (let i = 0; i < 6; i++) {
    if (i === 2) a.override = { R1: b.id };
    if (i === 4) a.override = {};
    if (i === 3) b.up = false;
    if (i === 5) b.up = true;
    a.stalled = i === 5;
    await recordSim(store, clock, ring);
    tickCounters(ring);
    clock.advance(60_000);
  }
  const history = await store.nodeHistory(a.id);
  assert.equal(history.length, 6);
  assert.deepEqual(
    history.map((o) => o.at - t0),
    [0, 60_000, 120_000, 180_000, 240_000, 300_000],
  );
  assert.ok(history.every((o, i) => i === 0 || o.cpuSeconds! > history[i - 1]!.cpuSeconds!));
  assert.equal(history[0]!.rssBytes, 60e6);
  assert.equal(history[0]!.bytesIn, 1e6);
  assert.deepEqual(history[0]!.checks, { L1: true, L2: true, R1: true, R2: true });
  assert.equal(history[5]!.stalledMask, 2);
  assert.deepEqual(
    (await store.nodeHistory(a.id, { limit: 2 })).map((o) => o.at - t0),
    [240_000, 300_000],
  );
  assert.equal((await store.nodeHistory(a.id, { sinceMs: t0 + 150_000 })).length, 3);
  const bHist = await store.nodeHistory(b.id);
  assert.deepEqual(
    bHist.map((o) => [o.state, o.error, o.rssBytes === null]),
    [
      ['ok', null, false],
      ['ok', null, false],
      [bHist[2]!.state, null, false],
      ['unreachable', 'refused', true],
      ['unreachable', 'refused', true],
      ['ok', null, false],
    ],
  );
  const latest = await store.nodeLatest(a.id);
  assert.equal(latest?.present, true);
  assert.equal(latest?.endpoint, a.endpoint);
  assert.equal(latest?.version, '1.0.0');
  assert.deepEqual(latest?.threads, ['main', 'router', 'dht']);
  assert.deepEqual(latest?.stalledThreads, ['router']);
  assert.equal(Object.keys(latest?.slots ?? {}).length, 4);
  assert.ok(latest?.connections.every((c) => c.kind === 'near'));
  assert.equal(latest?.observation?.crawlId, latest?.lastSeenCrawl);
  assert.deepEqual((await store.nodeLatest(b.id))?.lastError, {
    kind: 'refused',
    detail: 'connect ECONNREFUSED',
  });
  assert.equal(await store.nodeLatest('f'.repeat(40)), null);
  assert.deepEqual(await store.nodeHistory('f'.repeat(40)), []);

  const known = await store.knownEndpoints();
  assert.equal(known.length, 11);
  assert.deepEqual(
    known.find((k) => k.endpoint === 'http://198.51.100.9:7000'),
    { endpoint: 'http://198.51.100.9:7000', nodeId: null, reachable: false },
  );
  assert.ok(known.filter((k) => k.nodeId).every((k) => k.reachable));

  // a.R1 = b during crawls 3..4: b does not point back (asymmetric), then b is down (dead_neighbor).
  const af = await store.findingsForNode(a.id);
  assert.deepEqual(
    af.map((f) => [f.kind, f.slot, f.reported, f.fromCrawl, f.toCrawl]),
    [
      ['dead_neighbor', 'R1', b.id, 4, 5],
      ['asymmetric', 'R1', b.id, 3, 4],
    ],
  );
  assert.deepEqual(await store.openFindings(), []);
});

void test('new, leaving and returning nodes show in the delta', async (t) => {
  const { store, clock } = await openFixture(t);
  const ring = simRing(6, 2);
  await recordSim(store, clock, ring);
  const gone = [...ring.nodes.values()][2]!;
  ring.nodes.delete(gone.id);
  const fresh = addNode(ring);
  clock.advance(60_000);
  const { delta } = await recordSim(store, clock, ring);
  assert.deepEqual(delta.nodesRemoved, [gone.id]);
  assert.deepEqual(
    delta.nodesAdded.map((n) => n.key),
    [fresh.id],
  );
  assert.ok(delta.edgesRemoved.some((e) => e.from === gone.id && e.kind === 'R1'));
  assert.ok(delta.edgesAdded.some((e) => e.from === fresh.id && e.kind === 'L1'));
  assert.equal((await store.nodeLatest(gone.id))?.present, false);
  assert.equal((await store.nodeLatest(gone.id))?.lastSeenCrawl, 1);
  ring.nodes.set(gone.id, gone);
  clock.advance(60_000);
  const back = (await recordSim(store, clock, ring)).delta;
  assert.deepEqual(
    back.nodesAdded.map((n) => n.key),
    [gone.id],
  );
  assert.equal((await store.nodeLatest(gone.id))?.firstCrawl, 1);
});

void test('a second node answering with a taken ID is kept apart, keyed by its endpoint', async (t) => {
  const { store, clock } = await openFixture(t);
  const ring = simRing(4, 8);
  const id = await store.beginCrawl({ strategy: 'parallel' });
  const sim = crawlOf(ring, clock.now());
  const orig = sim.result.visits[0]!;
  assert.ok(orig.ok);
  const twin = 'http://192.0.2.99:7000';
  const status = { ...orig.status, endpoint: twin, version: '9.9.9' };
  sim.result.visits.push({ ...orig, endpoint: twin, status });
  sim.analysis.nodes.push({ ...sim.analysis.nodes[0]!, endpoint: twin });
  const nodeId = orig.status.nodeId;
  sim.analysis.findings.push(
    { kind: 'duplicate_id', nodeId, endpoint: orig.endpoint, detail: 'two nodes answer as this ID' },
    { kind: 'duplicate_id', nodeId, endpoint: twin, detail: 'two nodes answer as this ID' },
  );
  await store.recordCrawl(id, sim.result, sim.analysis);
  const topo = (await store.topologyAt(id))!;
  assert.equal(topo.nodes.length, 5);
  assert.deepEqual(
    topo.nodes.filter((n) => n.key === twin).map((n) => [n.nodeId, n.endpoint]),
    [[null, twin]],
  );
  assert.equal(topo.edges.filter((e) => e.from === twin && e.kind === 'R1').length, 1);
  const slotsOnly = (await store.topologyAt(id, { connections: false }))!;
  assert.deepEqual(slotsOnly.nodes, topo.nodes);
  assert.ok(slotsOnly.edges.length > 0 && slotsOnly.edges.every((e) => /^[LR][12]$/.test(e.kind)));
  assert.equal(slotsOnly.edges.length, topo.edges.filter((e) => /^[LR][12]$/.test(e.kind)).length);
  assert.deepEqual(
    (await store.findingsForNode(twin)).map((f) => [f.kind, f.nodeId]),
    [['duplicate_id', twin]],
  );
  assert.deepEqual(
    (await store.findingsForNode(nodeId)).map((f) => [f.kind, f.nodeId]),
    [['duplicate_id', nodeId]],
  );
  assert.equal((await store.nodeLatest(twin))?.version, '9.9.9');
  assert.equal((await store.nodeLatest(nodeId))?.version, '1.0.0');
});
