/**
 * Retention and rollups.
 *
 * run(): (1) rolls up every complete 5-minute bucket not yet rolled up (ring level from `crawls`, per
 * node from raw observations) and every complete hour (from the 5-minute rows); (2) deletes raw
 * observations of crawls older than the raw window, but only once their bucket is rolled up, and marks
 * those crawls `pruned`; (3) deletes closed intervals no retained crawl needs (to_crawl <= oldest
 * retained crawl), findings closed before the findings window, and rollups past their windows.
 * Progress is stored (rollup_progress) and every write is an upsert or a bounded delete, so a run is
 * idempotent and safe to repeat or to interrupt; each bucket and each delete batch is one transaction,
 * so the crawler never waits long for the write lock.
 *
 * A bucket is complete when it ends at or before min(now, start of the oldest running crawl).
 */
import cron from 'node-cron';
import type { Clock } from '../core/clock.js';
import { NODE_STATE } from './codec.js';
import type { Database } from './db.js';
import { RESOLUTION_MS } from './types.js';

const FIVE = RESOLUTION_MS['5m'];
const HOUR = RESOLUTION_MS['1h'];
const DAY = 86_400_000;

/** Windows of each kind of data; defaults: raw 48 h, 5-minute 7 d, hourly 90 d, findings 30 d. */
export interface RetentionOptions {
  db: Database;
  clock: Clock;
  /** Raw observations and topology kept this long (default 48 h). */
  rawWindowMs?: number;
  /** 5-minute rollups kept this long (default 7 days). */
  fiveMinuteWindowMs?: number;
  /** Hourly rollups kept this long (default 90 days). */
  hourlyWindowMs?: number;
  /** Closed findings kept this long (default 30 days; never less than the raw window). */
  findingWindowMs?: number;
  /** Crawls whose raw rows are deleted per transaction (default 20). */
  batchCrawls?: number;
}

/** What one run did (all zero when there was nothing to do). */
export interface RetentionReport {
  buckets5m: number;
  buckets1h: number;
  crawlsPruned: number;
  observationsDeleted: number;
  intervalsDeleted: number;
  findingsDeleted: number;
  rollupsDeleted: number;
}

/** Contract: run() never loses data that is inside its window; concurrent calls share one run. */
export interface Retention {
  run(): Promise<RetentionReport>;
}

const floorTo = (t: number, res: number) => Math.floor(t / res) * res;

const RING_5M = `INSERT OR REPLACE INTO rollup_ring (res_ms, bucket, crawls, recorded, failed, nodes_sum, nodes_min,
    nodes_max, reachable_sum, reachable_min, reachable_max, consistency_sum, consistency_min, findings_sum,
    findings_max, rings_max)
  SELECT ${FIVE}, ?1, count(*), sum(data != 'none'), sum(state IN ('failed', 'aborted')), sum(discovered),
    min(discovered), max(discovered), sum(reachable), min(reachable), max(reachable), sum(consistency),
    min(consistency), sum(findings_total), max(findings_total), max(rings)
  FROM crawls WHERE started_at >= ?1 AND started_at < ?2 AND state != 'running' HAVING count(*) > 0`;

const delta = (v: string, p: string) =>
  `sum(CASE WHEN ok THEN CASE WHEN ${v} >= ${p} THEN ${v} - ${p} ELSE ${v} END END)`;

// Counter increases come from consecutive observations of a node (the first one in the bucket pairs
// with the node's observation in the previous recorded crawl, if that is at most an hour earlier); a
// counter that went down restarted, so its new value is the increase.
const NODE_5M = `INSERT OR REPLACE INTO rollup_node (res_ms, bucket, node, samples, unreachable, inconsistent,
    metric_samples, rss_sum, rss_max, heap_max, queue_sum, queue_max, lag_max, cpu_ms, bytes_in, bytes_out, dt_ms)
  WITH span AS (
    SELECT coalesce((SELECT id FROM crawls WHERE started_at < ?1 AND started_at >= ?1 - ${HOUR} AND data = 'raw'
                     ORDER BY started_at DESC LIMIT 1), (SELECT min(id) FROM crawls WHERE started_at >= ?1), 0) AS lo,
           coalesce((SELECT id FROM crawls WHERE started_at < ?2 ORDER BY started_at DESC LIMIT 1), -1) AS hi
  ), obs AS (
    SELECT o.node, c.started_at AS cs, c.started_at + o.t_ms AS t, o.state, o.rss, o.heap, o.queue, o.lag_ms,
      o.cpu_ms, o.bytes_in, o.bytes_out, lag(c.started_at + o.t_ms) OVER w AS pt, lag(o.cpu_ms) OVER w AS pcpu,
      lag(o.bytes_in) OVER w AS pin, lag(o.bytes_out) OVER w AS pout
    FROM observations o JOIN crawls c ON c.id = o.crawl
    WHERE o.crawl BETWEEN (SELECT lo FROM span) AND (SELECT hi FROM span)
    WINDOW w AS (PARTITION BY o.node ORDER BY o.crawl)
  ), pairs AS (
    SELECT *, (pt IS NOT NULL AND pcpu IS NOT NULL AND cpu_ms IS NOT NULL AND t > pt) AS ok FROM obs WHERE cs >= ?1
  )
  SELECT ${FIVE}, ?1, node, count(*), sum(state = ${NODE_STATE.unreachable}), sum(state = ${NODE_STATE.inconsistent}),
    count(rss), sum(rss), max(rss), max(heap), sum(queue), max(queue), max(lag_ms), ${delta('cpu_ms', 'pcpu')},
    ${delta('bytes_in', 'pin')}, ${delta('bytes_out', 'pout')}, sum(CASE WHEN ok THEN t - pt END)
  FROM pairs GROUP BY node`;

const RING_1H = `INSERT OR REPLACE INTO rollup_ring SELECT ${HOUR}, ?1, sum(crawls), sum(recorded), sum(failed),
    sum(nodes_sum), min(nodes_min), max(nodes_max), sum(reachable_sum), min(reachable_min), max(reachable_max),
    sum(consistency_sum), min(consistency_min), sum(findings_sum), max(findings_max), max(rings_max)
  FROM rollup_ring WHERE res_ms = ${FIVE} AND bucket >= ?1 AND bucket < ?2 HAVING count(*) > 0`;

const NODE_1H = `INSERT OR REPLACE INTO rollup_node SELECT ${HOUR}, ?1, node, sum(samples), sum(unreachable),
    sum(inconsistent), sum(metric_samples), sum(rss_sum), max(rss_max), max(heap_max), sum(queue_sum), max(queue_max),
    max(lag_max), sum(cpu_ms), sum(bytes_in), sum(bytes_out), sum(dt_ms)
  FROM rollup_node WHERE res_ms = ${FIVE} AND bucket >= ?1 AND bucket < ?2 GROUP BY node`;

export function createRetention(options: RetentionOptions): Retention {
  const { db, clock } = options;
  const rawWindowMs = options.rawWindowMs ?? 2 * DAY;
  const fiveWindowMs = options.fiveMinuteWindowMs ?? 7 * DAY;
  const hourWindowMs = options.hourlyWindowMs ?? 90 * DAY;
  const findingWindowMs = Math.max(options.findingWindowMs ?? 30 * DAY, rawWindowMs);
  const batch = Math.max(1, Math.trunc(options.batchCrawls ?? 20));
  let inflight: Promise<RetentionReport> | undefined;

  const num = async (sql: string, params: (number | string)[] = []) =>
    (await db.get<{ v: number | null }>(sql, params))?.v ?? null;
  const progress = (res: number) =>
    num('SELECT done_until AS v FROM rollup_progress WHERE res_ms = ?', [res]);
  const setProgress = (res: number, until: number) =>
    db.run(
      `INSERT INTO rollup_progress (res_ms, done_until) VALUES (?1, ?2)
       ON CONFLICT (res_ms) DO UPDATE SET done_until = max(done_until, ?2)`,
      [res, until],
    );

  async function rollUp(report: RetentionReport, now: number): Promise<{ done5: number; done1h: number }> {
    const oldestRunning = await num(`SELECT min(started_at) AS v FROM crawls WHERE state = 'running'`);
    const horizon = floorTo(Math.min(now, oldestRunning ?? now), FIVE);
    let done5 = (await progress(FIVE)) ?? -Infinity;
    for (;;) {
      const next = await num(
        `SELECT min(started_at) AS v FROM crawls WHERE started_at >= ? AND state != 'running'`,
        [Number.isFinite(done5) ? done5 : -Number.MAX_SAFE_INTEGER],
      );
      if (next === null) break;
      const b = floorTo(next, FIVE);
      if (b + FIVE > horizon) break;
      await db.transaction(async () => {
        await db.run(RING_5M, [b, b + FIVE]);
        await db.run(NODE_5M, [b, b + FIVE]);
        await setProgress(FIVE, b + FIVE);
      });
      done5 = b + FIVE;
      report.buckets5m++;
    }
    if (horizon > done5) await setProgress(FIVE, horizon);
    done5 = Math.max(done5, horizon);

    const hourEnd = floorTo(done5, HOUR);
    let done1h = (await progress(HOUR)) ?? -Infinity;
    for (;;) {
      const next = await num(
        `SELECT min(bucket) AS v FROM rollup_ring WHERE res_ms = ${FIVE} AND bucket >= ?`,
        [Number.isFinite(done1h) ? done1h : -Number.MAX_SAFE_INTEGER],
      );
      if (next === null) break;
      const h = floorTo(next, HOUR);
      if (h + HOUR > hourEnd) break;
      await db.transaction(async () => {
        await db.run(RING_1H, [h, h + HOUR]);
        await db.run(NODE_1H, [h, h + HOUR]);
        await setProgress(HOUR, h + HOUR);
      });
      done1h = h + HOUR;
      report.buckets1h++;
    }
    if (hourEnd > done1h) await setProgress(HOUR, hourEnd);
    return { done5, done1h: Math.max(done1h, hourEnd) };
  }

  async function prune(report: RetentionReport, now: number, done5: number, done1h: number): Promise<void> {
    const rawCut = Math.min(now - rawWindowMs, done5);
    for (;;) {
      const ids = await db.all<{ id: number }>(
        `SELECT id FROM crawls WHERE data = 'raw' AND started_at < ? ORDER BY id LIMIT ?`,
        [rawCut, batch],
      );
      if (ids.length === 0) break;
      const lo = ids[0]!.id;
      const hi = ids[ids.length - 1]!.id;
      await db.transaction(async () => {
        const r = await db.run('DELETE FROM observations WHERE crawl >= ? AND crawl <= ?', [lo, hi]);
        report.observationsDeleted += r.changes;
        await db.run(`UPDATE crawls SET data = 'pruned' WHERE data = 'raw' AND id >= ? AND id <= ?`, [
          lo,
          hi,
        ]);
      });
      report.crawlsPruned += ids.length;
    }

    await db.transaction(async () => {
      // An interval [from, to) is needed by crawl c iff from <= c < to: none retained needs to <= oldest.
      const oldest =
        (await num(`SELECT min(id) AS v FROM crawls WHERE data = 'raw'`)) ?? Number.MAX_SAFE_INTEGER;
      for (const table of ['ring_slots', 'connections', 'node_facts']) {
        report.intervalsDeleted += (
          await db.run(`DELETE FROM ${table} WHERE to_crawl <= ?`, [oldest])
        ).changes;
      }
      const firstKept =
        (await num('SELECT min(id) AS v FROM crawls WHERE started_at >= ?', [now - findingWindowMs])) ??
        Number.MAX_SAFE_INTEGER;
      report.findingsDeleted += (
        await db.run('DELETE FROM findings WHERE to_crawl <= ? AND to_crawl < ?', [oldest, firstKept])
      ).changes;

      const cut5 = Math.min(now - fiveWindowMs, done1h);
      const cut1h = now - hourWindowMs;
      for (const [res, cut] of [
        [FIVE, cut5],
        [HOUR, cut1h],
      ] as const) {
        for (const table of ['rollup_node', 'rollup_ring']) {
          const r = await db.run(`DELETE FROM ${table} WHERE res_ms = ? AND bucket < ?`, [res, cut]);
          report.rollupsDeleted += r.changes;
        }
      }
    });
  }

  return {
    run() {
      inflight ??= (async () => {
        try {
          const report: RetentionReport = {
            buckets5m: 0,
            buckets1h: 0,
            crawlsPruned: 0,
            observationsDeleted: 0,
            intervalsDeleted: 0,
            findingsDeleted: 0,
            rollupsDeleted: 0,
          };
          const now = clock.now();
          const { done5, done1h } = await rollUp(report, now);
          await prune(report, now, done5, done1h);
          return report;
        } finally {
          inflight = undefined;
        }
      })();
      return inflight;
    },
  };
}

/** A cron-scheduled retention; stop() cancels future runs (a run in progress completes). */
export interface ScheduledRetention {
  stop(): Promise<void>;
}

/** Run retention on a cron schedule (default: hourly at minute 0); overlapping runs are skipped. */
export function scheduleRetention(
  retention: Retention,
  cronExpr = '0 * * * *',
  hooks: { onRun?: (report: RetentionReport) => void; onError?: (err: unknown) => void } = {},
): ScheduledRetention {
  if (!cron.validate(cronExpr)) throw new Error(`invalid cron expression for retention: "${cronExpr}"`);
  const task = cron.schedule(
    cronExpr,
    async () => {
      try {
        hooks.onRun?.(await retention.run());
      } catch (err) {
        hooks.onError?.(err);
      }
    },
    { name: 'ringwatch-retention', noOverlap: true },
  );
  return {
    async stop() {
      await task.destroy();
    },
  };
}
