/** Read side for the findings list: filtered, newest first, keyset-paged by finding id. */
import { findingKinds, slots } from './codec.js';
import type { SqlRunner, SqlValue } from './db.js';
import { jsonRows, rowOf } from './nodes.js';
import type { ListFindingsOptions, StoredFinding } from './types.js';

type Raw = [
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

function toFinding(r: Raw): StoredFinding {
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

/**
 * Findings matching the filter, newest first (by id; page with `before` = the last id seen). Open
 * findings come from the findings_to index, a node's from findings_node; [] for an unknown node.
 */
export async function listFindings(
  db: SqlRunner,
  options: ListFindingsOptions = {},
): Promise<StoredFinding[]> {
  const limit = Math.max(1, Math.min(1000, Math.trunc(options.limit ?? 100)));
  const where: string[] = [];
  const params: SqlValue[] = [];
  if ((options.status ?? 'open') === 'open') where.push('f.to_crawl IS NULL');
  if (options.kind !== undefined) {
    where.push('f.kind = ?');
    params.push(findingKinds.code(options.kind));
  }
  if (options.node !== undefined) {
    const row = await rowOf(db, options.node);
    if (!row) return [];
    where.push('f.node = ?');
    params.push(row.id);
  }
  if (options.before !== undefined) {
    where.push('f.id < ?');
    params.push(options.before);
  }
  const rows = await jsonRows<Raw>(
    db,
    `SELECT json_group_array(json_array(id, node_id, url, kind, slot, reported, expected, detail, from_crawl,
       to_crawl, started_at)) AS j FROM (
       SELECT f.*, n.node_id, ek.url, c.started_at FROM findings f JOIN nodes n ON n.id = f.node
       LEFT JOIN endpoints ek ON ek.id = n.endpoint_key JOIN crawls c ON c.id = f.from_crawl
       WHERE ${where.length > 0 ? where.join(' AND ') : 'true'} ORDER BY f.id DESC LIMIT ?)`,
    [...params, limit],
  );
  return rows.map(toFinding).sort((a, b) => b.id - a.id);
}
