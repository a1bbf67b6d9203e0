import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRetention, scheduleRetention } from '../../server/store/index.js';
import type { Database, RetentionReport } from '../../server/store/index.js';
import { edgeString, openFixture, recordSim, simRing, tickCounters } from './helpers.js';
import type { Expected } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

async function count(db: Database, sql: string, params: number[] = []): Promise<number> {
  return (await db.get<{ n: number }>(sql, params))!.n;
}

async function dumpRollups(db: Database): Promise<string> {
  return JSON.stringify([
    await db.all('SELECT * FROM rollup_ring ORDER BY res_ms, bucket'),
    await db.all('SELECT * FROM rollup_node ORDER BY res_ms, bucket, node'),
    await db.all('SELECT * FROM rollup_progress ORDER BY res_ms'),
  ]);
}

void test('rollups before deletion, raw window, interval pruning, idempotence (manual clock)', async (t) => {
  const { db, store, clock } = await openFixture(t);
  const start = clock.now();
  assert.equal(start % HOUR, 0);
  const ring = simRing(5, 11);
  const nodes = [...ring.nodes.values()];
  const expected = new Map<number, Expected>();
  const crawlAt = new Map<number, number>();
  // 3 hours of crawls, one a minute; topology changes now and then.
  for (let m = 0; m < 180; m++) {
    if (m === 30) nodes[0]!.override = { R1: nodes[2]!.id };
    if (m === 50) nodes[0]!.override = {};
    if (m === 100) nodes[1]!.shortcuts.push(nodes[3]!.id);
    if (m === 130) nodes[4]!.up = false;
    if (m === 150) nodes[4]!.up = true;
    if (m === 170) nodes[2]!.cpuMs = 5; // restart: the counter goes down
    const { id, sim } = await recordSim(store, clock, ring);
    expected.set(id, sim.expected);
    crawlAt.set(id, clock.now());
    tickCounters(ring);
    clock.advance(MIN);
  }
  // now = start + 3h
  const retention = createRetention({
    db,
    clock,
    rawWindowMs: HOUR,
    fiveMinuteWindowMs: 4 * HOUR,
    hourlyWindowMs: 10 * HOUR,
  });
  const r1 = await retention.run();
  assert.equal(r1.buckets5m, 36);
  assert.equal(r1.buckets1h, 3);
  assert.equal(r1.crawlsPruned, 120);
  assert.equal(r1.observationsDeleted, 120 * 5);
  assert.ok(r1.intervalsDeleted > 0);

  // Ring level, 5-minute: 5 crawls of 5 nodes each.
  const ring5 = await store.ringRollups({ resolution: '5m' });
  assert.equal(ring5.length, 36);
  assert.deepEqual(
    [ring5[0]!.bucket, ring5[0]!.crawls, ring5[0]!.recorded, ring5[0]!.nodesAvg, ring5[0]!.consistencyAvg],
    [start, 5, 5, 5, 1],
  );
  const inconsistentBucket = ring5.find((b) => b.bucket === start + 30 * MIN)!;
  assert.ok(inconsistentBucket.consistencyMin! < 1 && inconsistentBucket.findingsMax! > 0);
  const down = ring5.find((b) => b.bucket === start + 130 * MIN)!;
  assert.deepEqual([down.reachableMin, down.nodesMax], [4, 5]);
  const ring1h = await store.ringRollups({ resolution: '1h' });
  assert.deepEqual(
    ring1h.map((b) => [b.bucket - start, b.crawls, b.nodesAvg]),
    [
      [0, 60, 5],
      [HOUR, 60, 5],
      [2 * HOUR, 60, 5],
    ],
  );

  // Per node: rates from consecutive observations (1000 ms CPU and 7.2 MB in per minute).
  const n1 = await store.nodeRollups(nodes[1]!.id, { resolution: '5m' });
  assert.equal(n1.length, 36);
  assert.ok(Math.abs(n1[3]!.cpuRate! - 1000 / MIN) < 1e-9);
  assert.equal(n1[3]!.bytesInRate, 120_000);
  assert.equal(n1[3]!.bytesOutRate, 80_000);
  assert.equal(n1[0]!.samples, 5);
  assert.equal(n1[0]!.rssMax, nodes[1]!.rss - (180 - 4) * 4096);
  const n4 = await store.nodeRollups(nodes[4]!.id, {
    resolution: '5m',
    sinceMs: start + 130 * MIN,
    untilMs: start + 135 * MIN,
  });
  assert.deepEqual([n4[0]!.samples, n4[0]!.unreachable, n4[0]!.rssAvg], [5, 5, null]);
  const restart = await store.nodeRollups(nodes[2]!.id, { resolution: '5m', sinceMs: start + 170 * MIN });
  assert.ok(
    restart[0]!.cpuRate! >= 0 && restart[0]!.cpuRate! < 1000 / MIN,
    'a counter reset never gives a negative rate',
  );
  const n1h = await store.nodeRollups(nodes[1]!.id, { resolution: '1h' });
  assert.deepEqual(
    n1h.map((b) => b.samples),
    [60, 60, 60],
  );
  assert.equal(n1h[1]!.bytesInRate, 120_000);

  // Raw data: crawls older than 1 h are pruned (no topology), the rest is intact and exact.
  const ids = [...expected.keys()];
  const kept = ids.filter((id) => crawlAt.get(id)! >= clock.now() - HOUR);
  assert.equal(kept.length, 60);
  assert.equal(await count(db, 'SELECT count(*) AS n FROM observations'), 60 * 5);
  assert.equal(await store.topologyAt(ids[0]!), null);
  assert.equal((await store.getCrawl(ids[0]!))?.data, 'pruned');
  for (const id of kept) {
    const topo = (await store.topologyAt(id))!;
    const exp = expected.get(id)!;
    assert.deepEqual(topo.edges.map(edgeString).sort(), exp.edges, `edges of retained crawl ${id}`);
    assert.deepEqual(
      topo.nodes.map((n) => [n.key, n.state]),
      exp.nodes.map((n) => [n.key, n.state]),
    );
  }
  const oldest = kept[0]!;
  for (const table of ['ring_slots', 'connections', 'node_facts']) {
    assert.equal(
      await count(db, `SELECT count(*) AS n FROM ${table} WHERE to_crawl <= ?`, [oldest]),
      0,
      table,
    );
  }
  const oldFindings = 'SELECT count(*) AS n FROM findings WHERE to_crawl <= ?';
  assert.equal(await count(db, oldFindings, [oldest]), 2, 'closed findings outlive the raw window (30 days)');
  assert.ok(
    (await count(db, 'SELECT count(*) AS n FROM connections WHERE to_crawl > ?', [oldest])) > 0,
    'needed closed intervals stay',
  );

  // Idempotent: a second run changes nothing.
  const before = await dumpRollups(db);
  const r2 = await retention.run();
  assert.deepEqual(r2, {
    buckets5m: 0,
    buckets1h: 0,
    crawlsPruned: 0,
    observationsDeleted: 0,
    intervalsDeleted: 0,
    findingsDeleted: 0,
    rollupsDeleted: 0,
  } satisfies RetentionReport);
  assert.equal(await dumpRollups(db), before);
  const [a, b] = await Promise.all([retention.run(), retention.run()]);
  assert.equal(a, b, 'concurrent calls share one run');

  // Windows of the rollups themselves: 5-minute rows older than 4 h go, hourly rows stay until 10 h.
  clock.advance(2 * HOUR);
  const r3 = await retention.run();
  assert.equal(r3.crawlsPruned, 60);
  assert.equal(await count(db, 'SELECT count(*) AS n FROM observations'), 0);
  assert.equal((await store.ringRollups({ resolution: '5m' }))[0]!.bucket, start + HOUR);
  assert.equal((await store.ringRollups({ resolution: '1h' })).length, 3);
  assert.equal(
    (await store.nodeRollups(nodes[1]!.id, { resolution: '5m' })).length,
    24,
    'the first hour of 5-minute rows is past its window',
  );
  clock.advance(10 * HOUR);
  await retention.run();
  assert.equal((await store.ringRollups({ resolution: '1h' })).length, 0);
  assert.equal(await count(db, 'SELECT count(*) AS n FROM connections WHERE to_crawl IS NOT NULL'), 0);
  assert.ok(
    (await count(db, 'SELECT count(*) AS n FROM connections WHERE to_crawl IS NULL')) > 0,
    'open intervals stay',
  );
});

void test('a running crawl holds back the rollup of its bucket and the deletion after it', async (t) => {
  const { db, store, clock } = await openFixture(t);
  const start = clock.now();
  const ring = simRing(3, 4);
  for (let m = 0; m < 7; m++) {
    await recordSim(store, clock, ring);
    clock.advance(MIN);
  }
  const running = await store.beginCrawl({ strategy: 'parallel' }); // at start + 7 min
  clock.advance(20 * MIN);
  const retention = createRetention({ db, clock, rawWindowMs: 0 });
  const r1 = await retention.run();
  assert.equal(r1.buckets5m, 1, 'only the bucket before the running crawl');
  assert.equal(r1.crawlsPruned, 5, 'raw rows of the not-rolled-up bucket stay');
  assert.equal(
    (await db.get<{ v: number }>('SELECT done_until AS v FROM rollup_progress WHERE res_ms = 300000'))?.v,
    start + 5 * MIN,
  );
  await store.finishCrawl(running, { state: 'aborted', reason: 'test' });
  const r2 = await retention.run();
  assert.equal(r2.buckets5m, 1);
  assert.equal(r2.crawlsPruned, 2);
  const second = (await store.ringRollups({ resolution: '5m' }))[1]!;
  assert.deepEqual([second.crawls, second.recorded, second.failed], [3, 2, 1]);
});

void test('scheduleRetention runs on its cron schedule and stops', async (t) => {
  const { db, clock } = await openFixture(t);
  const retention = createRetention({ db, clock });
  assert.throws(() => scheduleRetention(retention, 'every hour'), /invalid cron expression/);
  let resolveRun!: (r: RetentionReport) => void;
  const ran = new Promise<RetentionReport>((r) => (resolveRun = r));
  const scheduled = scheduleRetention(retention, '* * * * * *', { onRun: resolveRun });
  try {
    const report = await ran;
    assert.equal(report.crawlsPruned, 0);
  } finally {
    await scheduled.stop();
  }
});
