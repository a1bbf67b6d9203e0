/**
 * The findings part of recordCrawl: findings are intervals keyed by (node, kind, slot, reported, expected),
 * open while the analysis keeps reporting them; the detail text of an open finding follows the latest.
 */
import type { Finding } from '../core/model.js';
import { FINDING_KIND, SLOT, findingKinds, slots } from './codec.js';
import type { Database } from './db.js';
import { jsonRows, keysOf } from './nodes.js';
import type { CrawlDelta, StoredFinding } from './types.js';

const SQL = {
  close: `UPDATE findings SET to_crawl = ?1 WHERE id IN (SELECT value FROM json_each(?2))`,
  detail: `UPDATE findings SET detail = j.value ->> 1 FROM json_each(?1) AS j WHERE findings.id = j.value ->> 0`,
  open: `INSERT INTO findings (node, kind, slot, reported, expected, detail, from_crawl)
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, ?1 FROM json_each(?2)
    RETURNING id, node, kind, slot, reported, expected, detail`,
  load: `SELECT json_group_array(json_array(f.id, f.node, f.kind, f.slot, f.reported, f.expected, f.detail,
    f.from_crawl, c.started_at)) AS j FROM findings f JOIN crawls c ON c.id = f.from_crawl WHERE f.to_crawl IS NULL`,
};

type OpenFinding = [
  number,
  number,
  number,
  number | null,
  string | null,
  string | null,
  string,
  number,
  number,
];
type FindingRow = { id: number; node: number; kind: number; slot: number | null } & {
  reported: string | null;
  expected: string | null;
  detail: string;
};

/** Close findings that went away, open new ones, and fill delta.findingsOpened/Closed. */
export async function diffFindings(
  db: Database,
  crawlId: number,
  startedAt: number,
  findings: readonly Finding[],
  /** The node key a finding is about (see recordCrawl), or undefined to skip it. */
  subjectOf: (f: Finding) => number | undefined,
  delta: CrawlDelta,
): Promise<void> {
  const ident = (node: number, kind: number, slot: number | null, rep: string | null, exp: string | null) =>
    JSON.stringify([node, kind, slot, rep, exp]);
  const open = new Map<string, OpenFinding>();
  for (const f of await jsonRows<OpenFinding>(db, SQL.load)) open.set(ident(f[1], f[2], f[3], f[4], f[5]), f);
  const now = new Map<string, [number, number, number | null, string | null, string | null, string]>();
  for (const f of findings) {
    const node = subjectOf(f);
    if (node === undefined) continue;
    const row = [
      node,
      FINDING_KIND[f.kind],
      f.slot ? SLOT[f.slot] : null,
      f.reported ?? null,
      f.expected ?? null,
      f.detail,
    ] as const;
    const k = ident(row[0], row[1], row[2], row[3], row[4]);
    if (!now.has(k)) now.set(k, [...row]);
  }
  const closed = [...open].filter(([k]) => !now.has(k)).map(([, f]) => f);
  const detail = [...open].flatMap(([k, f]) => {
    const d = now.get(k)?.[5];
    return d !== undefined && d !== f[6] ? [[f[0], d]] : [];
  });
  const fresh = [...now].filter(([k]) => !open.has(k)).map(([, f]) => f);
  if (closed.length > 0) await db.run(SQL.close, [crawlId, JSON.stringify(closed.map((f) => f[0]))]);
  if (detail.length > 0) await db.run(SQL.detail, [JSON.stringify(detail)]);
  const inserted =
    fresh.length > 0 ? await db.all<FindingRow>(SQL.open, [crawlId, JSON.stringify(fresh)]) : [];

  const keys = await keysOf(db, [...closed.map((f) => f[1]), ...inserted.map((f) => f.node)]);
  const stored = (f: FindingRow, from: number, to: number | null, since: number): StoredFinding => {
    const out: StoredFinding = {
      id: f.id,
      kind: findingKinds.value(f.kind),
      nodeId: keys.get(f.node) ?? `#${f.node}`,
      detail: f.detail,
      fromCrawl: from,
      toCrawl: to,
      since,
    };
    if (f.slot !== null) out.slot = slots.value(f.slot);
    if (f.reported !== null) out.reported = f.reported;
    if (f.expected !== null) out.expected = f.expected;
    return out;
  };
  delta.findingsOpened = inserted.sort((x, y) => x.id - y.id).map((f) => stored(f, crawlId, null, startedAt));
  delta.findingsClosed = closed.map((f) =>
    stored(
      { id: f[0], node: f[1], kind: f[2], slot: f[3], reported: f[4], expected: f[5], detail: f[6] },
      f[7],
      crawlId,
      f[8],
    ),
  );
}
