/**
 * Linear trends of per-node resource series: the regression sums (TrendStats, what the store's SQL
 * aggregate returns), the fit (slope per hour and R²), and an in-memory TrendSource for tests.
 */
import type { CrawlResult } from '../core/model.js';
import type { SeriesSums, TrendSource, TrendStats } from './types.js';

const HOUR_MS = 3_600_000;

/** One observation of a node's resources. */
export interface TrendSample {
  /** Epoch ms of the observation (the visit's start). */
  at: number;
  rssBytes: number;
  queueDepth: number;
}

export type TrendSeries = 'rss' | 'queue';

/**
 * The TrendStats of `samples`, with t in hours since `originMs` (default: the earliest sample).
 * Undefined for no samples. The SQL equivalent, per node over observations with metrics since ?1:
 *   count(*), total(t), total(t*t), min(at), max(at), total(rss), total(rss*rss), total(t*rss), ...
 *   where t = (at - ?1) / 3600000.0 — REAL sums (total()), since rss² overflows 64-bit integers.
 */
export function trendStatsFromSamples(
  samples: readonly TrendSample[],
  originMs?: number,
): TrendStats | undefined {
  if (samples.length === 0) return undefined;
  let firstT = Infinity;
  let lastT = -Infinity;
  for (const s of samples) {
    if (s.at < firstT) firstT = s.at;
    if (s.at > lastT) lastT = s.at;
  }
  const origin = originMs ?? firstT;
  const rss: SeriesSums = { sumX: 0, sumX2: 0, sumTX: 0 };
  const queue: SeriesSums = { sumX: 0, sumX2: 0, sumTX: 0 };
  let sumT = 0;
  let sumT2 = 0;
  for (const s of samples) {
    const t = (s.at - origin) / HOUR_MS;
    sumT += t;
    sumT2 += t * t;
    rss.sumX += s.rssBytes;
    rss.sumX2 += s.rssBytes * s.rssBytes;
    rss.sumTX += t * s.rssBytes;
    queue.sumX += s.queueDepth;
    queue.sumX2 += s.queueDepth * s.queueDepth;
    queue.sumTX += t * s.queueDepth;
  }
  return { n: samples.length, sumT, sumT2, firstT, lastT, rss, queue };
}

/** A least-squares line through one series. */
export interface TrendFit {
  /** Units of the series per hour (bytes/h for rss, messages/h for queue). */
  slopePerHour: number;
  /** Coefficient of determination, 0..1 (0 for a constant series: nothing to explain). */
  r2: number;
  n: number;
  spanMs: number;
}

/** Fits `series` of `stats`; null when there are fewer than 2 samples or they all share one time. */
export function fitTrend(stats: TrendStats, series: TrendSeries): TrendFit | null {
  const { n, sumT, sumT2 } = stats;
  const { sumX, sumX2, sumTX } = stats[series];
  if (n < 2) return null;
  const stt = n * sumT2 - sumT * sumT;
  if (!(stt > 0)) return null;
  const stx = n * sumTX - sumT * sumX;
  const sxx = n * sumX2 - sumX * sumX;
  // A constant series (up to rounding of the raw sums) has no slope and nothing to explain.
  if (!(sxx > 1e-12 * n * sumX2)) return { slopePerHour: 0, r2: 0, n, spanMs: stats.lastT - stats.firstT };
  const r2 = Math.min(1, Math.max(0, (stx * stx) / (stt * sxx)));
  return { slopePerHour: stx / stt, r2, n, spanMs: stats.lastT - stats.firstT };
}

/** An in-memory TrendSource fed sample by sample, or crawl by crawl. */
export interface MemoryTrendSource extends TrendSource {
  add(nodeId: string, sample: TrendSample): void;
  /** Adds a sample per successful visit (at = visit start, the node's rss and queue depth). */
  addCrawl(result: CrawlResult): void;
}

export function createMemoryTrendSource(): MemoryTrendSource {
  const byNode = new Map<string, TrendSample[]>();
  const add = (nodeId: string, sample: TrendSample): void => {
    let list = byNode.get(nodeId);
    if (list === undefined) byNode.set(nodeId, (list = []));
    list.push(sample);
  };
  return {
    add,
    addCrawl(result) {
      for (const v of result.visits) {
        if (!v.ok) continue;
        add(v.status.nodeId, {
          at: v.startedAt,
          rssBytes: v.status.process.rssBytes,
          queueDepth: v.status.queue.depth,
        });
      }
    },
    trends(sinceMs) {
      const out = new Map<string, TrendStats>();
      for (const [id, list] of byNode) {
        const stats = trendStatsFromSamples(
          list.filter((s) => s.at >= sinceMs),
          sinceMs,
        );
        if (stats !== undefined) out.set(id, stats);
      }
      return Promise.resolve(out);
    },
  };
}
