/**
 * Node identities and their current-state rows: bulk loading (one JSON aggregate per query, far cheaper
 * than node-sqlite3 row objects), interning of new keys and endpoints, and id → key lookups.
 */
import { isNodeId } from './codec.js';
import type { SqlRunner, SqlValue } from './db.js';

/** A `nodes` row: identity plus the values of the node's open intervals. */
export interface NodeRow {
  id: number;
  key: string;
  nodeId: string | null;
  firstCrawl: number | null;
  seenFrom: number | null;
  seenUntil: number | null;
  state: number | null;
  endpoint: number | null;
  endpointUrl: string | null;
  version: string | null;
  startedAt: number | null;
  threads: string | null;
  /** Open slot targets L1, L2, R1, R2 (node ids). */
  slots: (number | null)[];
  conns: string | null;
  error: string | null;
}

const COLUMNS = `n.id, n.node_id, ek.url, n.first_crawl, n.seen_from, n.seen_until, n.state, n.endpoint, e.url,
  n.version, n.started_at, n.threads, n.l1, n.l2, n.r1, n.r2, n.conns, n.error`;
const FROM = `nodes n LEFT JOIN endpoints ek ON ek.id = n.endpoint_key LEFT JOIN endpoints e ON e.id = n.endpoint`;

type Raw = [
  number,
  string | null,
  string | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  string | null,
  string | null,
  number | null,
  string | null,
  number | null,
  number | null,
  number | null,
  number | null,
  string | null,
  string | null,
];

function toRow(r: Raw): NodeRow {
  return {
    id: r[0],
    nodeId: r[1],
    key: r[1] ?? r[2] ?? `#${r[0]}`,
    firstCrawl: r[3],
    seenFrom: r[4],
    seenUntil: r[5],
    state: r[6],
    endpoint: r[7],
    endpointUrl: r[8],
    version: r[9],
    startedAt: r[10],
    threads: r[11],
    slots: [r[12], r[13], r[14], r[15]],
    conns: r[16],
    error: r[17],
  };
}

/** Run a query whose single column `j` is a JSON array, and parse it. */
export async function jsonRows<T>(
  db: SqlRunner,
  sql: string,
  params: readonly SqlValue[] = [],
): Promise<T[]> {
  const row = await db.get<{ j: string | null }>(sql, params);
  return row?.j ? (JSON.parse(row.j) as T[]) : [];
}

async function select(db: SqlRunner, from: string, where: string, params: SqlValue[]): Promise<NodeRow[]> {
  const raw = await jsonRows<Raw>(
    db,
    `SELECT json_group_array(json_array(${COLUMNS})) AS j FROM ${from} WHERE ${where}`,
    params,
  );
  return raw.map(toRow);
}

/** Nodes seen in the latest recorded crawl. */
export function loadPresent(db: SqlRunner): Promise<NodeRow[]> {
  return select(db, FROM, 'n.seen_from IS NOT NULL AND n.seen_until IS NULL', []);
}

/** Rows of the given keys that exist (node IDs and endpoint keys). */
export async function loadByKeys(db: SqlRunner, keys: readonly string[]): Promise<NodeRow[]> {
  const hex = keys.filter((k) => isNodeId(k));
  const eps = keys.filter((k) => !isNodeId(k));
  const out: NodeRow[] = [];
  if (hex.length > 0) {
    out.push(
      ...(await select(db, FROM, 'n.node_id IN (SELECT value FROM json_each(?))', [JSON.stringify(hex)])),
    );
  }
  if (eps.length > 0) {
    const from = `endpoints ek JOIN nodes n ON n.endpoint_key = ek.id LEFT JOIN endpoints e ON e.id = n.endpoint`;
    out.push(
      ...(await select(db, from, 'ek.url IN (SELECT value FROM json_each(?))', [JSON.stringify(eps)])),
    );
  }
  return out;
}

/** Ids of endpoint URLs, inserting the new ones. */
export async function internEndpoints(db: SqlRunner, urls: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (urls.length === 0) return out;
  const json = JSON.stringify([...new Set(urls)]);
  await db.run(
    'INSERT INTO endpoints (url) SELECT value FROM json_each(?) WHERE true ON CONFLICT (url) DO NOTHING',
    [json],
  );
  const rows = await jsonRows<[number, string]>(
    db,
    'SELECT json_group_array(json_array(id, url)) AS j FROM endpoints WHERE url IN (SELECT value FROM json_each(?))',
    [json],
  );
  for (const [id, url] of rows) out.set(url, id);
  return out;
}

/** Rows for the keys, creating identities for the ones not known yet. */
export async function internKeys(db: SqlRunner, keys: readonly string[]): Promise<NodeRow[]> {
  const unique = [...new Set(keys)];
  const existing = await loadByKeys(db, unique);
  const known = new Set(existing.map((r) => r.key));
  const missing = unique.filter((k) => !known.has(k));
  if (missing.length === 0) return existing;
  const hex = missing.filter((k) => isNodeId(k));
  const eps = missing.filter((k) => !isNodeId(k));
  if (hex.length > 0) {
    await db.run('INSERT INTO nodes (node_id) SELECT value FROM json_each(?)', [JSON.stringify(hex)]);
  }
  if (eps.length > 0) {
    const ids = await internEndpoints(db, eps);
    await db.run('INSERT INTO nodes (endpoint_key) SELECT value FROM json_each(?)', [
      JSON.stringify(eps.map((u) => ids.get(u))),
    ]);
  }
  return [...existing, ...(await loadByKeys(db, missing))];
}

/** The row of one key, or undefined. */
export async function rowOf(db: SqlRunner, key: string): Promise<NodeRow | undefined> {
  return (await loadByKeys(db, [key]))[0];
}

/** Keys of node ids (ids that do not exist are left out). */
export async function keysOf(db: SqlRunner, ids: Iterable<number>): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const list = [...new Set(ids)];
  if (list.length === 0) return out;
  const rows = await jsonRows<[number, string]>(
    db,
    `SELECT json_group_array(json_array(n.id, coalesce(n.node_id, ek.url))) AS j
     FROM nodes n LEFT JOIN endpoints ek ON ek.id = n.endpoint_key
     WHERE n.id IN (SELECT value FROM json_each(?))`,
    [JSON.stringify(list)],
  );
  for (const [id, key] of rows) out.set(id, key);
  return out;
}
