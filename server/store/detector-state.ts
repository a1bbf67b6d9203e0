/**
 * SQLite implementations of the two small interfaces the detectors declare (server/detect/types.ts):
 * their carried state (DetectorStateStore) and per-node resource trends (TrendSource). Called inside the
 * crawl's transaction, state changes commit or roll back together with the crawl they describe.
 */
import type {
  DetectorName,
  DetectorStateStore,
  JsonObject,
  TrendSource,
  TrendStats,
} from '../detect/index.js';
import type { Database } from './db.js';

function asObject(value: unknown): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError('detector state values must be JSON objects');
  return value as JsonObject;
}

export function createSqliteStateStore(db: Database): DetectorStateStore {
  return {
    async get(detector: DetectorName, key: string) {
      const row = await db.get<{ value: string }>(
        'SELECT value FROM detector_state WHERE detector = ? AND key = ?',
        [detector, key],
      );
      return row ? asObject(JSON.parse(row.value)) : undefined;
    },
    async set(detector: DetectorName, key: string, value: JsonObject) {
      const text = JSON.stringify(asObject(value));
      await db.run(
        `INSERT INTO detector_state (detector, key, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (detector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [detector, key, text, db.clock.now()],
      );
    },
    async delete(detector: DetectorName, key: string) {
      await db.run('DELETE FROM detector_state WHERE detector = ? AND key = ?', [detector, key]);
    },
    async entries(detector: DetectorName) {
      const rows = await db.all<{ key: string; value: string }>(
        'SELECT key, value FROM detector_state WHERE detector = ?',
        [detector],
      );
      return new Map(rows.map((r) => [r.key, asObject(JSON.parse(r.value))]));
    },
  };
}

interface TrendRow {
  node_id: string;
  n: number;
  st: number;
  st2: number;
  t0: number;
  t1: number;
  sr: number;
  sr2: number;
  str: number;
  sq: number;
  sq2: number;
  stq: number;
}

/**
 * Least-squares sums of rss and queue depth over time for every identified node, in one aggregate query.
 * Time is in hours since `sinceMs` (precise sums, slopes per hour); total() keeps rss² in floating point.
 */
export function createSqliteTrendSource(db: Database): TrendSource {
  return {
    async trends(sinceMs: number) {
      const rows = await db.all<TrendRow>(
        `WITH s AS (
           SELECT n.node_id AS node_id, c.started_at + o.t_ms AS at, o.rss AS rss, o.queue AS queue,
                  (c.started_at + o.t_ms - ?1) / 3600000.0 AS t
           FROM crawls c JOIN observations o ON o.crawl = c.id JOIN nodes n ON n.id = o.node
           WHERE c.started_at >= ?1 - 600000 AND c.data = 'raw' AND n.node_id IS NOT NULL
             AND o.rss IS NOT NULL AND o.queue IS NOT NULL
         )
         SELECT node_id, count(*) AS n, total(t) AS st, total(t * t) AS st2, min(at) AS t0, max(at) AS t1,
                total(rss) AS sr, total(rss * 1.0 * rss) AS sr2, total(t * rss) AS str,
                total(queue) AS sq, total(queue * 1.0 * queue) AS sq2, total(t * queue) AS stq
         FROM s WHERE at >= ?1 GROUP BY node_id`,
        [sinceMs],
      );
      const out = new Map<string, TrendStats>();
      for (const r of rows) {
        out.set(r.node_id, {
          n: r.n,
          sumT: r.st,
          sumT2: r.st2,
          firstT: r.t0,
          lastT: r.t1,
          rss: { sumX: r.sr, sumX2: r.sr2, sumTX: r.str },
          queue: { sumX: r.sq, sumX2: r.sq2, sumTX: r.stq },
        });
      }
      return out;
    },
  };
}
