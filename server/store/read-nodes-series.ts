/**
 * A node's metric time series for charts. Within the raw window (crawls whose observations are kept)
 * points come from raw observations; older parts of the range come from the 5-minute rollups, and from
 * the hourly ones where 5-minute buckets are gone.
 *
 * Rates from cumulative counters follow Prometheus `rate()`: per pair of consecutive samples,
 * increase / elapsed time; a counter that went down restarted, so its new value is the increase (never a
 * negative rate). No rate is computed across a gap longer than 3 sample intervals (the node was
 * unreachable or not crawled then: what happened in between is unknown). Series with more than
 * maxPoints points are downsampled into equal buckets (min / avg / max).
 */
import type { SqlRunner } from './db.js';
import { jsonRows, rowOf } from './nodes.js';
import { nodeRollups } from './read-rollups.js';
import { RESOLUTION_MS, SERIES_METRICS } from './types.js';
import type {
  NodeRollup,
  NodeSeries,
  RollupResolution,
  SeriesMetric,
  SeriesOptions,
  SeriesPoint,
} from './types.js';

/** Gaps between samples longer than this many sample intervals carry no rate. */
export const MAX_RATE_GAP_INTERVALS = 3;

/** [t, reachable, rss, heap, cpu_ms, lag_ms, queue, bytes_in, bytes_out, packets_in, packets_out, score] */
type Sample = [number, number, ...(number | null)[]];

type Series = Record<SeriesMetric, SeriesPoint[]>;

const emptySeries = (): Series =>
  Object.fromEntries(SERIES_METRICS.map((m) => [m, [] as SeriesPoint[]])) as unknown as Series;

const point = (t: number, v: number): SeriesPoint => ({ t, min: v, avg: v, max: v });

/** Median of the positive gaps between consecutive times (null with fewer than two times). */
export function sampleInterval(times: readonly number[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const d = times[i]! - times[i - 1]!;
    if (d > 0) gaps.push(d);
  }
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}

/**
 * Per-second rates of a cumulative counter over consecutive samples [t, value|null] (null: no sample,
 * e.g. unreachable), like Prometheus rate(): resets count from 0, gaps over maxGapMs give no point.
 */
export function counterRates(
  samples: readonly (readonly [number, number | null])[],
  maxGapMs: number,
  scale = 1000,
): { t: number; rate: number }[] {
  const out: { t: number; rate: number }[] = [];
  let prev: readonly [number, number] | null = null;
  for (const [t, v] of samples) {
    if (v === null) continue;
    if (prev !== null) {
      const dt = t - prev[0];
      if (dt > 0 && dt <= maxGapMs) {
        const increase = v >= prev[1] ? v - prev[1] : v;
        out.push({ t, rate: (increase * scale) / dt });
      }
    }
    prev = [t, v];
  }
  return out;
}

/** Raw observations of a node in [since, until), oldest first (crawls drive: one seek per crawl). */
async function rawSamples(db: SqlRunner, node: number, since: number, until: number): Promise<Sample[]> {
  return jsonRows<Sample>(
    db,
    `SELECT json_group_array(json_array(c.started_at + o.t_ms, o.state != 2, o.rss, o.heap, o.cpu_ms, o.lag_ms,
       o.queue, o.bytes_in, o.bytes_out, o.packets_in, o.packets_out, o.score)) AS j
     FROM (SELECT id, started_at FROM crawls WHERE data = 'raw' AND started_at >= ?1 AND started_at < ?2
           ORDER BY id LIMIT 100000) c
     CROSS JOIN observations o WHERE o.crawl = c.id AND o.node = ?3`,
    [since, until, node],
  );
}

function rawPoints(samples: Sample[], out: Series): number | null {
  samples.sort((a, b) => a[0] - b[0]);
  const interval = sampleInterval(samples.map((s) => s[0]));
  const gauge = (metric: SeriesMetric, i: number, scale = 1) => {
    for (const s of samples) {
      const v = s[i];
      if (v !== null && v !== undefined) out[metric].push(point(s[0], v / scale));
    }
  };
  gauge('rss', 2);
  gauge('heapUsed', 3);
  gauge('eventLoopLag', 5);
  gauge('queueDepth', 6);
  gauge('score', 11, 1000);
  if (interval !== null) {
    const maxGap = MAX_RATE_GAP_INTERVALS * interval;
    const rate = (metric: SeriesMetric, i: number, scale: number) => {
      const pts = counterRates(
        samples.map((s) => [s[0], s[i] ?? null] as const),
        maxGap,
        scale,
      );
      for (const p of pts) out[metric].push(point(p.t, p.rate));
    };
    rate('cpu', 4, 1); // cpu_ms per ms = CPU seconds per second
    rate('bytesInRate', 7, 1000);
    rate('bytesOutRate', 8, 1000);
    rate('packetsInRate', 9, 1000);
    rate('packetsOutRate', 10, 1000);
  }
  return interval;
}

function rollupPoints(rows: NodeRollup[], out: Series): void {
  const add = (
    metric: SeriesMetric,
    t: number,
    min: number | null,
    avg: number | null,
    max: number | null,
  ) => {
    if (min !== null || avg !== null || max !== null) out[metric].push({ t, min, avg, max });
  };
  for (const r of rows) {
    add('rss', r.bucket, null, r.rssAvg, r.rssMax);
    add('heapUsed', r.bucket, null, null, r.heapMax);
    add('cpu', r.bucket, null, r.cpuRate, null);
    add('bytesInRate', r.bucket, null, r.bytesInRate, null);
    add('bytesOutRate', r.bucket, null, r.bytesOutRate, null);
    add('queueDepth', r.bucket, null, r.queueAvg, r.queueMax);
    add('eventLoopLag', r.bucket, null, null, r.lagMaxMs);
  }
}

/** Equal buckets of `width` from `since`: min of mins, mean of avgs, max of maxes (nulls ignored). */
export function downsample(points: readonly SeriesPoint[], since: number, width: number): SeriesPoint[] {
  const buckets = new Map<number, { min: number | null; sum: number; n: number; max: number | null }>();
  for (const p of points) {
    const t = since + Math.floor((p.t - since) / width) * width;
    let b = buckets.get(t);
    if (!b) buckets.set(t, (b = { min: null, sum: 0, n: 0, max: null }));
    if (p.min !== null) b.min = b.min === null ? p.min : Math.min(b.min, p.min);
    if (p.max !== null) b.max = b.max === null ? p.max : Math.max(b.max, p.max);
    if (p.avg !== null) {
      b.sum += p.avg;
      b.n++;
    }
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, b]) => ({ t, min: b.min, avg: b.n > 0 ? b.sum / b.n : null, max: b.max }));
}

/** A node's series over [sinceMs, untilMs), or null for an unknown key. */
export async function nodeSeries(
  db: SqlRunner & { clock?: { now(): number } },
  key: string,
  options: SeriesOptions,
): Promise<NodeSeries | null> {
  const row = await rowOf(db, key);
  if (!row) return null;
  const since = options.sinceMs;
  const until = options.untilMs ?? db.clock?.now() ?? Date.now();
  const maxPoints = Math.max(1, Math.min(10_000, Math.trunc(options.maxPoints ?? 500)));
  const series = emptySeries();
  const sources: NodeSeries['sources'] = [];
  if (until <= since) {
    return {
      key: row.key,
      sinceMs: since,
      untilMs: until,
      bucketMs: null,
      sampleIntervalMs: null,
      sources,
      series,
    };
  }

  const rawStart =
    (
      await db.get<{ t: number | null }>(
        `SELECT started_at AS t FROM crawls WHERE id = (SELECT min(id) FROM crawls WHERE data = 'raw')`,
      )
    )?.t ?? Infinity;
  // Older than the raw window: 5-minute buckets where kept, hourly ones before those.
  if (since < rawStart) {
    const oldest5m =
      (
        await db.get<{ b: number | null }>(`SELECT min(bucket) AS b FROM rollup_ring WHERE res_ms = ?`, [
          RESOLUTION_MS['5m'],
        ])
      )?.b ?? Infinity;
    const end = Math.min(rawStart, until);
    const [five, hour] = [RESOLUTION_MS['5m'], RESOLUTION_MS['1h']];
    // Hourly buckets up to an hour boundary (where 5-minute buckets start, at the latest where the raw
    // window starts), then 5-minute buckets that end before the raw window: no bucket overlaps another
    // source (a bucket holding raw crawls would count them twice).
    const seam = Math.min(Math.ceil(oldest5m / hour) * hour, Math.floor(end / hour) * hour);
    const parts: [RollupResolution, number, number][] = [
      ['1h', since, seam],
      ['5m', Math.max(since, seam), Math.floor(end / five) * five],
    ];
    for (const [resolution, from, to] of parts) {
      if (from >= to) continue;
      // `to` is a multiple of the resolution: buckets starting before it end by it.
      rollupPoints(await nodeRollups(db, row.key, { resolution, sinceMs: from, untilMs: to }), series);
      sources.push({ source: resolution, fromMs: from, untilMs: to });
    }
  }
  let interval: number | null = null;
  if (rawStart < until) {
    const from = Math.max(since, rawStart);
    interval = rawPoints(await rawSamples(db, row.id, from, until), series);
    sources.push({ source: 'raw', fromMs: from, untilMs: until });
  }

  for (const m of SERIES_METRICS) series[m].sort((a, b) => a.t - b.t);
  const most = Math.max(...SERIES_METRICS.map((m) => series[m].length));
  let bucketMs: number | null = null;
  if (most > maxPoints) {
    bucketMs = Math.max(1, Math.ceil((until - since) / maxPoints));
    for (const m of SERIES_METRICS) series[m] = downsample(series[m], since, bucketMs);
  }
  return {
    key: row.key,
    sinceMs: since,
    untilMs: until,
    bucketMs,
    sampleIntervalMs: interval,
    sources,
    series,
  };
}
