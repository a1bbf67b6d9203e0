/**
 * Read side of the store, crawls and time travel: crawl records and the exact topology of a past crawl.
 */
import type { CrawlState, CrawlStrategy, FindingKind, VisitErrorKind } from '../core/model.js';
import { SLOTS, connectionKinds, nodeStates } from './codec.js';
import type { SqlRunner } from './db.js';
import { jsonRows, keysOf } from './nodes.js';
import type {
  CrawlData,
  CrawlRecord,
  ListCrawlsOptions,
  Topology,
  TopologyEdge,
  TopologyNode,
  TopologyOptions,
} from './types.js';

interface CrawlRow {
  id: number;
  strategy: CrawlStrategy;
  state: CrawlState;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  seeds: string;
  data: CrawlData;
  visits: number | null;
  discovered: number | null;
  reachable: number | null;
  unreachable: number | null;
  rings: number | null;
  main_ring_size: number | null;
  consistency: number | null;
  findings_total: number | null;
  findings: string | null;
  errors: string | null;
  reason: string | null;
}

function toCrawl(r: CrawlRow): CrawlRecord {
  return {
    id: r.id,
    strategy: r.strategy,
    state: r.state,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    seeds: JSON.parse(r.seeds) as string[],
    data: r.data,
    visits: r.visits,
    discovered: r.discovered,
    reachable: r.reachable,
    unreachable: r.unreachable,
    rings: r.rings,
    mainRingSize: r.main_ring_size,
    consistency: r.consistency,
    findingsTotal: r.findings_total,
    findings: r.findings ? (JSON.parse(r.findings) as Partial<Record<FindingKind, number>>) : {},
    errors: r.errors ? (JSON.parse(r.errors) as Partial<Record<VisitErrorKind, number>>) : {},
    reason: r.reason,
  };
}

export async function getCrawl(db: SqlRunner, id: number): Promise<CrawlRecord | null> {
  const r = await db.get<CrawlRow>('SELECT * FROM crawls WHERE id = ?', [id]);
  return r ? toCrawl(r) : null;
}

/** The newest recorded crawl (one with observations or rollups), or null. */
export async function latestCrawl(db: SqlRunner): Promise<CrawlRecord | null> {
  const r = await db.get<CrawlRow>(`SELECT * FROM crawls WHERE data != 'none' ORDER BY id DESC LIMIT 1`);
  return r ? toCrawl(r) : null;
}

export async function listCrawls(db: SqlRunner, options: ListCrawlsOptions = {}): Promise<CrawlRecord[]> {
  const limit = Math.max(1, Math.min(1000, Math.trunc(options.limit ?? 50)));
  const rows = await db.all<CrawlRow>('SELECT * FROM crawls WHERE id < ? ORDER BY id DESC LIMIT ?', [
    options.before ?? Number.MAX_SAFE_INTEGER,
    limit,
  ]);
  return rows.map(toCrawl);
}

const AT = (table: string) =>
  `${table}.from_crawl <= ?1 AND (${table}.to_crawl IS NULL OR ${table}.to_crawl > ?1)`;

/**
 * The ring as crawl `crawlId` saw it, or null when that crawl has no retained raw data. With
 * `connections: false` only ring-slot edges are returned (a fraction of the size at scale).
 */
export async function topologyAt(
  db: SqlRunner,
  crawlId: number,
  options: TopologyOptions = {},
): Promise<Topology | null> {
  const crawl = await getCrawl(db, crawlId);
  if (!crawl || crawl.data !== 'raw') return null;
  const nodes = await jsonRows<
    [number, string | null, string | null, string | null, number, number | null, number | null]
  >(
    db,
    `SELECT json_group_array(json_array(o.node, n.node_id, ek.url, e.url, o.state, o.score, o.ring)) AS j
     FROM observations o JOIN nodes n ON n.id = o.node
     LEFT JOIN endpoints ek ON ek.id = n.endpoint_key
     LEFT JOIN node_facts f ON f.node = o.node AND ${AT('f')}
     LEFT JOIN endpoints e ON e.id = f.endpoint
     WHERE o.crawl = ?1`,
    [crawlId],
  );
  const ring = await jsonRows<[number, number, number]>(
    db,
    `SELECT json_group_array(json_array(node, slot, target)) AS j FROM ring_slots WHERE ${AT('ring_slots')}`,
    [crawlId],
  );
  const conns =
    options.connections === false
      ? []
      : await jsonRows<[number, number, number, number | null]>(
          db,
          `SELECT json_group_array(json_array(src, dst, kind, via)) AS j FROM connections WHERE ${AT('connections')}`,
          [crawlId],
        );
  const keys = new Map<number, string>();
  const outNodes: TopologyNode[] = nodes.map(([id, nodeId, ek, endpoint, state, score, ringIdx]) => {
    const key = nodeId ?? ek ?? `#${id}`;
    keys.set(id, key);
    return {
      key,
      nodeId,
      endpoint,
      state: nodeStates.value(state),
      score: score === null ? null : score / 1000,
      ring: ringIdx,
    };
  });
  const ids = [
    ...ring.flatMap(([n, , t]) => [n, t]),
    ...conns.flatMap(([s, d, , v]) => (v === null ? [s, d] : [s, d, v])),
  ];
  for (const [id, key] of await keysOf(
    db,
    ids.filter((id) => !keys.has(id)),
  ))
    keys.set(id, key);
  const k = (id: number) => keys.get(id) ?? `#${id}`;
  const edges: TopologyEdge[] = ring.map(([n, s, t]) => ({ from: k(n), to: k(t), kind: SLOTS[s]! }));
  for (const [s, d, kind, via] of conns) {
    const e: TopologyEdge = { from: k(s), to: k(d), kind: connectionKinds.value(kind) };
    if (via !== null) e.via = k(via);
    edges.push(e);
  }
  outNodes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { crawl, nodes: outNodes, edges };
}

/** Observation columns over a row source exposing o.* plus cid (crawl id) and cs (crawl start). */
