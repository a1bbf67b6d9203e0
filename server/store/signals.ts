/**
 * Detector signals as intervals of crawls (table `signals`, migrations/002_signals.sql).
 *
 * recordSignals follows the signal contract of server/detect/types.ts: a signal returned active that
 * has no open row opens one (from_crawl = this crawl); a clear closes the open row (to_crawl = this
 * crawl); a signal returned active again writes nothing. One read of the open rows and at most two bulk
 * statements per crawl, whatever the ring size.
 */
import { signalKey } from '../detect/types.js';
import type { DetectorName, Signal, SignalKind } from '../detect/types.js';
import type { SqlRunner } from './db.js';
import { jsonRows } from './nodes.js';
import type {
  RecordSignalsOptions,
  RecordSignalsResult,
  SignalHistoryOptions,
  StoredSignal,
} from './types.js';

type SignalRaw = [
  number,
  SignalKind,
  DetectorName,
  string | null,
  string | null,
  number,
  number | null,
  number,
  number | null,
  string,
];

const COLUMNS = 'id, kind, detector, node_key, thread, from_crawl, to_crawl, since, value, detail';
const select = (where: string, tail = '') =>
  `SELECT json_group_array(json_array(${COLUMNS})) AS j FROM (SELECT ${COLUMNS} FROM signals s WHERE ${where} ${tail})`;

function toSignal(r: SignalRaw): StoredSignal {
  return {
    id: r[0],
    kind: r[1],
    detector: r[2],
    nodeId: r[3],
    thread: r[4],
    active: r[6] === null,
    fromCrawl: r[5],
    toCrawl: r[6],
    since: r[7],
    value: r[8],
    detail: r[9],
  };
}

const clampLimit = (limit: number | undefined, def = 100, max = 1000) =>
  Math.max(1, Math.min(max, Math.trunc(limit ?? def)));

/** Persist the signals one crawl's detectors returned (inside that crawl's transaction). */
export async function recordSignals(
  db: SqlRunner,
  crawlId: number,
  signals: readonly Signal[],
  options: RecordSignalsOptions = {},
): Promise<RecordSignalsResult> {
  const open = await jsonRows<[number, SignalKind, string | null, string | null, DetectorName, number]>(
    db,
    `SELECT json_group_array(json_array(id, kind, node_key, thread, detector, since)) AS j
     FROM signals WHERE to_crawl IS NULL`,
  );
  const openByKey = new Map(
    open.map((r) => [signalKey({ kind: r[1], nodeId: r[2] ?? undefined, thread: r[3] ?? undefined }), r]),
  );
  const close = new Set<number>();
  const insert = new Map<string, (string | number | null)[]>();
  const active = new Set<string>();
  for (const s of signals) {
    const key = signalKey(s);
    const row = openByKey.get(key);
    if (!s.active) {
      if (row && !active.has(key)) close.add(row[0]);
      continue;
    }
    active.add(key);
    if (row && row[5] === s.since) {
      close.delete(row[0]);
      continue;
    }
    // A new condition (or the same identity raised anew with another start): a row of its own.
    if (row) close.add(row[0]);
    if (!insert.has(key)) {
      insert.set(key, [
        s.kind,
        s.detector,
        s.nodeId ?? null,
        s.thread ?? null,
        s.since,
        s.value ?? null,
        s.detail,
      ]);
    }
  }
  if (options.detectors) {
    const ran = new Set(options.detectors);
    for (const [key, row] of openByKey) if (ran.has(row[4]) && !active.has(key)) close.add(row[0]);
  }
  if (close.size > 0) {
    await db.run(
      'UPDATE signals SET to_crawl = ?1 WHERE id IN (SELECT value FROM json_each(?2)) AND to_crawl IS NULL',
      [crawlId, JSON.stringify([...close])],
    );
  }
  if (insert.size > 0) {
    await db.run(
      `INSERT INTO signals (kind, detector, node_key, thread, from_crawl, since, value, detail)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, ?1, value ->> 4, value ->> 5, value ->> 6
       FROM json_each(?2)`,
      [crawlId, JSON.stringify([...insert.values()])],
    );
  }
  return { opened: insert.size, closed: close.size };
}

/** Signals active after the latest crawl, oldest first. */
export async function activeSignals(db: SqlRunner): Promise<StoredSignal[]> {
  const rows = await jsonRows<SignalRaw>(db, select('to_crawl IS NULL'));
  return rows.map(toSignal).sort((a, b) => a.id - b.id);
}

/** A node's signals, active and cleared, newest first (default 100, at most 1000). */
export async function signalsForNode(
  db: SqlRunner,
  key: string,
  options: { limit?: number } = {},
): Promise<StoredSignal[]> {
  const rows = await jsonRows<SignalRaw>(
    db,
    select('node_key = ?', 'ORDER BY from_crawl DESC, id DESC LIMIT ?'),
    [key, clampLimit(options.limit)],
  );
  return rows.map(toSignal).sort((a, b) => b.fromCrawl - a.fromCrawl || b.id - a.id);
}

/** Signals newest first (by id) matching the filter; page with `before` = the last id seen. */
export async function signalHistory(
  db: SqlRunner,
  options: SignalHistoryOptions = {},
): Promise<StoredSignal[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (options.kind !== undefined) {
    where.push('kind = ?');
    params.push(options.kind);
  }
  if (options.node !== undefined) {
    where.push('node_key = ?');
    params.push(options.node);
  }
  if (options.active === true) where.push('to_crawl IS NULL');
  if (options.active === false) where.push('to_crawl IS NOT NULL');
  if (options.sinceMs !== undefined) {
    where.push('(to_crawl IS NULL OR (SELECT c.started_at FROM crawls c WHERE c.id = s.to_crawl) > ?)');
    params.push(options.sinceMs);
  }
  if (options.before !== undefined) {
    where.push('id < ?');
    params.push(options.before);
  }
  const rows = await jsonRows<SignalRaw>(
    db,
    select(where.length > 0 ? where.join(' AND ') : 'true', 'ORDER BY id DESC LIMIT ?'),
    [...params, clampLimit(options.limit)],
  );
  return rows.map(toSignal).sort((a, b) => b.id - a.id);
}
