/**
 * GET /ring/history?range=…: the ring over time for the overview charts — node count, reachable,
 * consistency, rings, findings, crawl duration, joined and lost nodes. Raw crawls where retained
 * (bucketed to at most maxPoints), 5-minute or hourly rollups before that.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Auth } from '../auth/types.js';
import type { Clock } from '../core/clock.js';
import { handle, parseInput } from '../http/errors.js';
import type { Database } from '../store/index.js';

export const RANGES = {
  '15m': 900_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '24h': 86_400_000,
  '7d': 604_800_000,
  '30d': 2_592_000_000,
} as const;

export interface HistoryPoint {
  /** Bucket (or crawl) start, epoch ms. */
  t: number;
  /** The last crawl of the bucket (null for rollup points). */
  crawlId: number | null;
  crawls: number;
  nodes: number | null;
  reachable: number | null;
  consistency: number | null;
  rings: number | null;
  findings: number | null;
  durationMs: number | null;
  joined: number | null;
  lost: number | null;
  source: 'raw' | '5m' | '1h';
}

export async function ringHistory(
  db: Database,
  q: { sinceMs: number; untilMs: number; maxPoints: number },
): Promise<HistoryPoint[]> {
  const bucketMs = Math.max(1, Math.ceil((q.untilMs - q.sinceMs) / q.maxPoints));
  const raw = await db.all<Omit<HistoryPoint, 'source'>>(
    `WITH c AS (
       SELECT id, started_at, discovered, reachable, consistency, rings, findings_total, duration_ms
         FROM crawls WHERE data = 'raw' AND started_at >= ? AND started_at < ?),
     j AS (SELECT first_crawl AS crawl, count(*) AS n FROM nodes
            WHERE first_crawl >= (SELECT ifnull(min(id), 0) FROM c) GROUP BY first_crawl),
     l AS (SELECT from_crawl AS crawl, count(*) AS n FROM signals
            WHERE kind = 'node_lost' AND from_crawl >= (SELECT ifnull(min(id), 0) FROM c) GROUP BY from_crawl)
     SELECT min(started_at) AS t, max(id) AS crawlId, count(*) AS crawls, avg(discovered) AS nodes,
            avg(reachable) AS reachable, min(consistency) AS consistency, max(rings) AS rings,
            avg(findings_total) AS findings, max(duration_ms) AS durationMs,
            sum(ifnull(j.n, 0)) AS joined, sum(ifnull(l.n, 0)) AS lost
       FROM c LEFT JOIN j ON j.crawl = c.id LEFT JOIN l ON l.crawl = c.id
      GROUP BY (started_at - ?) / ? ORDER BY t`,
    [q.sinceMs, q.untilMs, q.sinceMs, bucketMs],
  );
  const oldestRaw = raw[0]?.t ?? q.untilMs;
  const points: HistoryPoint[] = [];
  if (q.sinceMs < oldestRaw) {
    const res = q.untilMs - q.sinceMs <= RANGES['7d'] ? 300_000 : 3_600_000;
    const rolled = await db.all<Omit<HistoryPoint, 'source' | 'crawlId' | 'durationMs' | 'joined' | 'lost'>>(
      `SELECT bucket AS t, crawls, nodes_sum * 1.0 / nullif(recorded, 0) AS nodes,
              reachable_sum * 1.0 / nullif(recorded, 0) AS reachable, consistency_min AS consistency,
              rings_max AS rings, findings_sum * 1.0 / nullif(recorded, 0) AS findings
         FROM rollup_ring WHERE res_ms = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
      [res, q.sinceMs - (q.sinceMs % res), oldestRaw],
    );
    for (const r of rolled) {
      points.push({
        ...r,
        crawlId: null,
        durationMs: null,
        joined: null,
        lost: null,
        source: res === 300_000 ? '5m' : '1h',
      });
    }
  }
  for (const r of raw) points.push({ ...r, source: 'raw' });
  return points;
}

export function createHistoryRouter(deps: {
  auth: Pick<Auth, 'require'>;
  db: Database;
  clock: Clock;
}): Router {
  const r = Router();
  r.get(
    '/ring/history',
    deps.auth.require('viewer'),
    handle(async (req, res) => {
      const q = parseInput(
        z.strictObject({
          range: z.enum(Object.keys(RANGES) as [keyof typeof RANGES]).default('24h'),
          untilMs: z.coerce.number().int().min(0).optional(),
          maxPoints: z.coerce.number().int().min(10).max(5000).default(1000),
        }),
        req.query,
        'query',
      );
      const untilMs = q.untilMs ?? deps.clock.now() + 1;
      const sinceMs = untilMs - RANGES[q.range];
      res.json({
        range: q.range,
        sinceMs,
        untilMs,
        points: await ringHistory(deps.db, { sinceMs, untilMs, maxPoints: q.maxPoints }),
      });
    }),
  );
  return r;
}
