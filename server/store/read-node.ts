/**
 * Read side of the store, per node: observation series, latest state, findings, and the endpoints the
 * next crawl starts from.
 */
import type { ConnectionKind } from '../../node-agent/schema.js';
import {
  SLOTS,
  connectionKinds,
  decodeChecks,
  decodeStalled,
  findingKinds,
  nodeStates,
  slots,
  visitErrors,
} from './codec.js';
import type { SqlRunner } from './db.js';
import { jsonRows, keysOf, rowOf } from './nodes.js';
import type { HistoryOptions, KnownEndpoint, NodeLatest, Observation, StoredFinding } from './types.js';

const OBS_COLUMNS = `cid, cs + t_ms, state, score, checks, ring, error, http, attempts, visit_ms, rss, heap, cpu_ms,
  lag_ms, queue, bytes_in, bytes_out, packets_in, packets_out, stalled`;
type ObsRaw = [number, number, number, ...(number | null)[]];

function toObservation(r: ObsRaw): Observation {
  const n = (i: number) => r[i] ?? null;
  const error = n(6);
  return {
    crawlId: r[0],
    at: r[1],
    state: nodeStates.value(r[2]),
    score: n(3) === null ? null : n(3)! / 1000,
    checks: decodeChecks(n(4)),
    ring: n(5),
    error: error === null ? null : visitErrors.value(error),
    httpStatus: n(7),
    attempts: n(8) ?? 0,
    visitMs: n(9) ?? 0,
    rssBytes: n(10),
    heapUsedBytes: n(11),
    cpuSeconds: n(12) === null ? null : n(12)! / 1000,
    eventLoopLagMs: n(13),
    queueDepth: n(14),
    bytesIn: n(15),
    bytesOut: n(16),
    packetsIn: n(17),
    packetsOut: n(18),
    stalledMask: n(19) ?? 0,
  };
}

/** A node's observation series, oldest first (newest `limit` of those since `sinceMs`). */
export async function nodeHistory(
  db: SqlRunner,
  key: string,
  options: HistoryOptions = {},
): Promise<Observation[]> {
  const row = await rowOf(db, key);
  if (!row) return [];
  const limit = Math.max(1, Math.min(100_000, Math.trunc(options.limit ?? 1440)));
  // crawls drive the loop (CROSS JOIN keeps that order): one primary-key seek per crawl.
  const raw = await jsonRows<ObsRaw>(
    db,
    `SELECT json_group_array(json_array(${OBS_COLUMNS})) AS j FROM (
       SELECT c.id AS cid, c.started_at AS cs, o.* FROM crawls c CROSS JOIN observations o
       WHERE o.crawl = c.id AND o.node = ?1 AND c.data = 'raw' AND c.started_at >= ?2
         AND c.id >= (SELECT min(id) FROM crawls WHERE data = 'raw')
       ORDER BY c.id DESC LIMIT ?3)`,
    [row.id, options.sinceMs ?? 0, limit],
  );
  return raw.map(toObservation).sort((a, b) => a.crawlId - b.crawlId);
}

/** A node's current state, or null when the key is unknown. */
export async function nodeLatest(db: SqlRunner, key: string): Promise<NodeLatest | null> {
  const row = await rowOf(db, key);
  if (!row) return null;
  const present = row.seenFrom !== null && row.seenUntil === null;
  const latest = present
    ? ((
        await db.get<{ id: number | null }>(
          `SELECT id FROM crawls WHERE data != 'none' ORDER BY id DESC LIMIT 1`,
        )
      )?.id ?? null)
    : row.seenUntil;
  const obs =
    latest === null
      ? []
      : await jsonRows<ObsRaw>(
          db,
          `SELECT json_group_array(json_array(${OBS_COLUMNS})) AS j FROM (
           SELECT c.id AS cid, c.started_at AS cs, o.* FROM observations o JOIN crawls c ON c.id = o.crawl
           WHERE o.crawl = ? AND o.node = ?)`,
          [latest, row.id],
        );
  const conns = (row.conns ? row.conns.split(',') : []).map((c) => c.split('.').map(Number));
  const keys = await keysOf(db, [...row.slots.filter((s): s is number => s !== null), ...conns.flat()]);
  const k = (id: number) => keys.get(id) ?? `#${id}`;
  const threads = row.threads ? (JSON.parse(row.threads) as string[]) : [];
  const observation = obs[0] ? toObservation(obs[0]) : null;
  const out: NodeLatest = {
    key: row.key,
    nodeId: row.nodeId,
    endpoint: row.endpointUrl,
    present,
    state: row.state === null ? null : nodeStates.value(row.state),
    firstCrawl: row.firstCrawl,
    lastSeenCrawl: latest,
    version: row.version,
    startedAt: row.startedAt,
    threads,
    stalledThreads: decodeStalled(observation?.stalledMask ?? 0, threads),
    slots: {},
    connections: conns.map(([peer, kind, via]) => {
      const c: { peer: string; kind: ConnectionKind; via?: string } = {
        peer: k(peer!),
        kind: connectionKinds.value(kind!),
      };
      if (via !== undefined) c.via = k(via);
      return c;
    }),
    lastError: row.error ? (JSON.parse(row.error) as NodeLatest['lastError']) : null,
    observation,
  };
  row.slots.forEach((t, i) => {
    if (t !== null) out.slots[SLOTS[i]!] = k(t);
  });
  return out;
}

type FindingRaw = [
  number,
  string | null,
  string | null,
  number,
  number | null,
  string | null,
  string | null,
  string,
  number,
  number | null,
  number,
];

const FINDING_SQL = (where: string, tail = '') =>
  `SELECT json_group_array(json_array(id, node_id, url, kind, slot, reported, expected, detail, from_crawl, to_crawl,
     started_at)) AS j FROM (
     SELECT f.*, n.node_id, ek.url, c.started_at FROM findings f JOIN nodes n ON n.id = f.node
     LEFT JOIN endpoints ek ON ek.id = n.endpoint_key JOIN crawls c ON c.id = f.from_crawl
     WHERE ${where} ${tail})`;

function toFinding(r: FindingRaw): StoredFinding {
  const out: StoredFinding = {
    id: r[0],
    kind: findingKinds.value(r[3]),
    nodeId: r[1] ?? r[2] ?? '',
    detail: r[7],
    fromCrawl: r[8],
    toCrawl: r[9],
    since: r[10],
  };
  if (r[4] !== null) out.slot = slots.value(r[4]);
  if (r[5] !== null) out.reported = r[5];
  if (r[6] !== null) out.expected = r[6];
  return out;
}

/** Findings still open after the latest recorded crawl, oldest first. */
export async function openFindings(db: SqlRunner): Promise<StoredFinding[]> {
  const rows = await jsonRows<FindingRaw>(db, FINDING_SQL('f.to_crawl IS NULL'));
  return rows.map(toFinding).sort((a, b) => a.id - b.id);
}

/** A node's findings, open and closed, newest first. */
export async function findingsForNode(db: SqlRunner, key: string, limit = 200): Promise<StoredFinding[]> {
  const row = await rowOf(db, key);
  if (!row) return [];
  const rows = await jsonRows<FindingRaw>(
    db,
    FINDING_SQL('f.node = ?', 'ORDER BY f.from_crawl DESC, f.id DESC LIMIT ?'),
    [row.id, Math.max(1, Math.trunc(limit))],
  );
  return rows.map(toFinding).sort((a, b) => b.fromCrawl - a.fromCrawl || b.id - a.id);
}

/** Endpoints (with node ID when known) of every node of the latest recorded crawl. */
export async function knownEndpoints(db: SqlRunner): Promise<KnownEndpoint[]> {
  const rows = await jsonRows<[string, string | null, number]>(
    db,
    `SELECT json_group_array(json_array(e.url, n.node_id, n.state)) AS j FROM nodes n
     JOIN endpoints e ON e.id = n.endpoint WHERE n.seen_from IS NOT NULL AND n.seen_until IS NULL`,
  );
  return rows
    .map(([endpoint, nodeId, state]) => ({
      endpoint,
      nodeId,
      reachable: state !== nodeStates.code('unreachable'),
    }))
    .sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
}
