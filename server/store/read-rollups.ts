/** Read side of the store, rollups: ring-level and per-node summaries at 5-minute or hourly resolution. */
import type { SqlRunner } from './db.js';
import { rowOf } from './nodes.js';
import type { NodeRollup, RingRollup, RollupQuery } from './types.js';
import { RESOLUTION_MS } from './types.js';

const avg = (sum: number | null, n: number) => (sum === null || n === 0 ? null : sum / n);

export async function ringRollups(db: SqlRunner, q: RollupQuery): Promise<RingRollup[]> {
  const rows = await db.all<Record<string, number | null>>(
    'SELECT * FROM rollup_ring WHERE res_ms = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
    [RESOLUTION_MS[q.resolution], q.sinceMs ?? 0, q.untilMs ?? Number.MAX_SAFE_INTEGER],
  );
  return rows.map((r) => {
    const n = r.recorded ?? 0;
    return {
      bucket: r.bucket!,
      crawls: r.crawls!,
      recorded: n,
      failed: r.failed!,
      nodesAvg: avg(r.nodes_sum!, n),
      nodesMin: r.nodes_min!,
      nodesMax: r.nodes_max!,
      reachableAvg: avg(r.reachable_sum!, n),
      reachableMin: r.reachable_min!,
      reachableMax: r.reachable_max!,
      consistencyAvg: avg(r.consistency_sum!, n),
      consistencyMin: r.consistency_min!,
      findingsAvg: avg(r.findings_sum!, n),
      findingsMax: r.findings_max!,
      ringsMax: r.rings_max!,
    };
  });
}

export async function nodeRollups(db: SqlRunner, key: string, q: RollupQuery): Promise<NodeRollup[]> {
  const row = await rowOf(db, key);
  if (!row) return [];
  // Ring buckets drive the loop: one primary-key seek per bucket.
  const rows = await db.all<Record<string, number | null>>(
    `SELECT r.* FROM rollup_ring b CROSS JOIN rollup_node r
     WHERE b.res_ms = ?1 AND b.bucket >= ?2 AND b.bucket < ?3 AND r.res_ms = ?1 AND r.bucket = b.bucket AND r.node = ?4
     ORDER BY b.bucket`,
    [RESOLUTION_MS[q.resolution], q.sinceMs ?? 0, q.untilMs ?? Number.MAX_SAFE_INTEGER, row.id],
  );
  return rows.map((r) => {
    const m = r.metric_samples ?? 0;
    const dt = r.dt_ms ?? 0;
    const rate = (v: number | null, scale: number) => (v === null || dt <= 0 ? null : (v * scale) / dt);
    return {
      bucket: r.bucket!,
      samples: r.samples!,
      unreachable: r.unreachable!,
      inconsistent: r.inconsistent!,
      rssAvg: avg(r.rss_sum!, m),
      rssMax: r.rss_max!,
      heapMax: r.heap_max!,
      queueAvg: avg(r.queue_sum!, m),
      queueMax: r.queue_max!,
      lagMaxMs: r.lag_max!,
      cpuRate: rate(r.cpu_ms!, 1),
      bytesInRate: rate(r.bytes_in!, 1000),
      bytesOutRate: rate(r.bytes_out!, 1000),
    };
  });
}
