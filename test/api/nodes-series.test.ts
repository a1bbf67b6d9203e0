/**
 * GET /nodes/:id/series and Store.nodeSeries over hand-built observation sequences (deterministic
 * counters): Prometheus-style rates across a restart, no rate across a long gap, rollups for the part of
 * the range older than the raw window, downsampling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRetention } from '../../server/store/index.js';
import type { NodeSeries, SeriesPoint } from '../../server/store/index.js';
import { counterRates, downsample, sampleInterval } from '../../server/store/index.js';
import { openFixture, recordSim, simRing, tickCounters } from '../store/helpers.js';
import { startApi } from './nodes-helpers.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const values = (pts: SeriesPoint[]) => pts.map((p) => p.avg);
const close = (a: number | null | undefined, b: number, what: string) =>
  assert.ok(
    a !== null && a !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)),
    `${what}: ${a} vs ${b}`,
  );

void test('counterRates: resets count from zero, long gaps give no rate; sampleInterval is the median', () => {
  const s: [number, number | null][] = [
    [0, 100],
    [10, 200],
    [20, 50], // restart: the increase is 50
    [30, null], // unreachable
    [40, 150], // 20 ms after the last sample: fine with a 30 ms gap limit
    [100, 10_000], // 60 ms: too long, no rate
    [110, 10_010],
  ];
  assert.deepEqual(counterRates(s, 30, 1000), [
    { t: 10, rate: 10_000 },
    { t: 20, rate: 5000 },
    { t: 40, rate: 5000 },
    { t: 110, rate: 1000 },
  ]);
  assert.equal(sampleInterval([0, 10, 20, 30, 40, 100, 110]), 10);
  assert.equal(sampleInterval([5]), null);
  assert.deepEqual(
    downsample(
      [
        { t: 0, min: 1, avg: 1, max: 1 },
        { t: 5, min: 3, avg: 3, max: 3 },
        { t: 10, min: null, avg: 7, max: 9 },
      ],
      0,
      10,
    ),
    [
      { t: 0, min: 1, avg: 2, max: 3 },
      { t: 10, min: null, avg: 7, max: 9 },
    ],
  );
});

void test('raw series: rates per second, a restart is not a negative rate, a long outage has no rate', async (t) => {
  const { store, clock } = await openFixture(t);
  const ring = simRing(4, 7);
  const node = [...ring.nodes.values()][1]!;
  const t0 = clock.now();
  for (let i = 0; i < 20; i++) {
    if (i === 8) {
      node.cpuMs = 500; // restart: every counter starts again
      node.bytesIn = 6000;
      node.bytesOut = 0;
      node.packets = 30;
    }
    node.up = !(i === 4 || (i >= 12 && i < 17)); // a 1-crawl and a 5-crawl outage
    await recordSim(store, clock, ring);
    tickCounters(ring, MIN);
    clock.advance(MIN);
  }
  const series = (await store.nodeSeries(node.id, { sinceMs: t0, untilMs: clock.now() }))!;
  assert.equal(series.sampleIntervalMs, MIN);
  assert.equal(series.bucketMs, null);
  assert.deepEqual(series.sources, [{ source: 'raw', fromMs: t0, untilMs: clock.now() }]);
  const at = (i: number) => t0 + i * MIN + 1; // node index 1 is visited 1 ms after the crawl starts
  const reachable = [...Array(20).keys()].filter((i) => !(i === 4 || (i >= 12 && i < 17)));
  assert.deepEqual(
    series.series.rss.map((p) => p.t),
    reachable.map(at),
  );
  assert.ok(series.series.score.every((p) => p.avg === 1));

  // Rates: one per reachable sample whose previous sample is at most 3 intervals before it.
  const rated = reachable.filter((i, j) => j > 0 && i - reachable[j - 1]! <= 3);
  assert.deepEqual(
    series.series.cpu.map((p) => p.t),
    rated.map(at),
  );
  assert.ok(!rated.includes(17), 'no rate across the 6-minute gap');
  assert.ok(rated.includes(5), 'a rate across the 2-minute gap');
  const cpu = new Map(series.series.cpu.map((p) => [p.t, p.avg]));
  close(cpu.get(at(1)), 1000 / MIN, 'cpu s/s');
  close(cpu.get(at(5)), 1000 / MIN, 'cpu s/s across a short gap');
  close(cpu.get(at(8)), 500 / MIN, 'cpu after the restart: the new value is the increase');
  const bytesIn = new Map(series.series.bytesInRate.map((p) => [p.t, p.avg]));
  close(bytesIn.get(at(1)), 120 * 1000, 'bytes in per second');
  close(bytesIn.get(at(8)), 6000 / 60, 'bytes in after the restart');
  const packets = new Map(series.series.packetsInRate.map((p) => [p.t, p.avg]));
  close(packets.get(at(8)), 30 / 60, 'packets after the restart');
  for (const m of ['cpu', 'bytesInRate', 'bytesOutRate', 'packetsInRate', 'packetsOutRate'] as const) {
    assert.ok(
      series.series[m].every((p) => p.avg !== null && p.avg >= 0),
      `${m} is never negative: ${JSON.stringify(values(series.series[m]))}`,
    );
  }

  // Downsampled: at most maxPoints buckets, each with min <= avg <= max.
  const small = (await store.nodeSeries(node.id, { sinceMs: t0, untilMs: clock.now(), maxPoints: 10 }))!;
  assert.equal(small.bucketMs, 2 * MIN);
  for (const m of Object.values(small.series)) {
    assert.ok(m.length <= 10);
    for (const p of m) assert.ok(p.min! <= p.avg! && p.avg! <= p.max!, JSON.stringify(p));
  }
  assert.deepEqual(
    small.series.rss.map((p) => (p.t - t0) / MIN),
    [0, 2, 4, 6, 8, 10, 16, 18],
    'the buckets 12–14 and 14–16 min are empty (outage)',
  );
  const first = small.series.rss[0]!;
  assert.deepEqual([first.min, first.max], [series.series.rss[0]!.avg, series.series.rss[1]!.avg]);
  assert.equal(await store.nodeSeries('f'.repeat(40), { sinceMs: t0 }), null);
});

void test('older than the raw window: hourly then 5-minute rollups, then raw; API ranges', async (t) => {
  const { store, clock, db } = await openFixture(t);
  const ring = simRing(3, 9);
  const node = [...ring.nodes.values()][0]!;
  const t0 = clock.now(); // an hour boundary
  for (let i = 0; i < 180; i++) {
    await recordSim(store, clock, ring);
    tickCounters(ring, MIN);
    clock.advance(MIN);
  }
  clock.advance(MIN);
  const retention = createRetention({
    db,
    clock,
    rawWindowMs: 61 * MIN,
    fiveMinuteWindowMs: 2 * HOUR + MIN,
  });
  const report = await retention.run();
  assert.ok(report.crawlsPruned > 0 && report.buckets1h > 0, JSON.stringify(report));
  const now = clock.now();

  const s = (await store.nodeSeries(node.id, { sinceMs: t0, untilMs: now }))!;
  assert.deepEqual(s.sources, [
    { source: '1h', fromMs: t0, untilMs: t0 + HOUR },
    { source: '5m', fromMs: t0 + HOUR, untilMs: t0 + 2 * HOUR },
    { source: 'raw', fromMs: t0 + 2 * HOUR, untilMs: now },
  ]);
  const times = s.series.rss.map((p) => p.t);
  assert.deepEqual(times.slice(0, 13), [
    t0,
    ...Array.from({ length: 12 }, (_, i) => t0 + HOUR + i * 5 * MIN),
  ]);
  assert.equal(times.length, 1 + 12 + 60);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  const hourly = s.series.rss[0]!;
  assert.equal(hourly.min, null, 'rollups keep no minimum');
  assert.ok(hourly.avg! > 0 && hourly.max! >= hourly.avg!);
  for (const p of s.series.cpu) close(p.avg, 1000 / MIN, `cpu at ${p.t - t0}`);
  for (const p of s.series.bytesOutRate) close(p.avg, 80 * 1000, `bytes out at ${p.t - t0}`);
  assert.equal(s.series.score.length, 60, 'score is only in raw observations');

  // The API: range relative to the clock, sinceMs/untilMs, maxPoints; 400 on bad queries.
  const api = await startApi(t, store, clock);
  const r = await api.get<NodeSeries>(`/nodes/${node.id.toUpperCase()}/series?range=30m`);
  assert.equal(r.status, 200);
  assert.equal(r.body.sinceMs, now - 30 * MIN);
  assert.equal(r.body.untilMs, now);
  assert.equal(r.body.series.rss.length, 29, 'crawls started in the last 30 minutes');
  const d = await api.get<NodeSeries>(`/nodes/${node.id}/series?sinceMs=${t0}&untilMs=${now}&maxPoints=10`);
  assert.equal(d.status, 200);
  assert.ok(d.body.bucketMs !== null && d.body.series.rss.length <= 10);
  const def = await api.get<NodeSeries>(`/nodes/${node.id}/series`);
  assert.equal(def.body.sinceMs, now - 24 * HOUR, 'default range 24h');
  for (const q of [
    'range=1h&sinceMs=1',
    'range=5x',
    'range=0h',
    'range=91d',
    'maxPoints=0',
    'sinceMs=-1',
    `sinceMs=${now}&untilMs=${now - 1}`,
    'foo=1',
  ]) {
    const bad = await api.get<{ error: { code: string } }>(`/nodes/${node.id}/series?${q}`);
    assert.equal(bad.status, 400, q);
    assert.equal(bad.body.error.code, 'bad_request');
  }
});
