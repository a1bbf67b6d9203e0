/**
 * recordCrawl: persist one crawl in one transaction and return what changed.
 *
 * Each node's `nodes` row holds the values of its open intervals (slots, connections, facts), so the diff
 * is computed in memory against one bulk read; only differences are written: an interval is closed
 * (to_crawl = this crawl) when its value disappears and a new one opened when a value appears. Every
 * write is one statement over a JSON array parameter (json_each), so 10k nodes cost a handful of
 * statements, not 10k round trips through node-sqlite3. SQLite works on its thread while JS diffs.
 */
import type { CrawlResult, Finding, RingAnalysis } from '../core/model.js';
import { forEachSliced } from '../core/slice.js';
import type { Database, SqlValue } from './db.js';
import { internEndpoints, internKeys, keysOf, loadPresent } from './nodes.js';
import type { NodeRow } from './nodes.js';
import { diffNodes } from './record-diff.js';
import type { IntEdge, Work } from './record-diff.js';
import { diffFindings } from './record-findings.js';
import {
  OBSERVATION_COLUMNS,
  buildEntries,
  crawlSummary,
  observationRow,
  unknownKeys,
} from './record-input.js';
import type { CrawlDelta, TopologyEdge } from './types.js';

const pick = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `value ->> ${from + i}`).join(', ');

const SQL = {
  observations: `INSERT INTO observations (crawl, ${OBSERVATION_COLUMNS.join(', ')})
    SELECT ?1, ${pick(0, OBSERVATION_COLUMNS.length)} FROM json_each(?2)`,
  nodes: `UPDATE nodes SET first_crawl = j.value ->> 1, seen_from = j.value ->> 2, seen_until = j.value ->> 3,
    state = j.value ->> 4, endpoint = j.value ->> 5, version = j.value ->> 6, started_at = j.value ->> 7,
    threads = j.value ->> 8, l1 = j.value ->> 9, l2 = j.value ->> 10, r1 = j.value ->> 11, r2 = j.value ->> 12,
    conns = j.value ->> 13, error = j.value ->> 14
    FROM json_each(?1) AS j WHERE nodes.id = j.value ->> 0`,
  // `+to_crawl` keeps the planner on the primary key (seek per listed key) instead of the to_crawl index.
  slotClose: `UPDATE ring_slots SET to_crawl = ?1
    WHERE +to_crawl IS NULL AND (node, slot) IN (SELECT ${pick(0, 2)} FROM json_each(?2))`,
  slotOpen: `INSERT INTO ring_slots (node, slot, from_crawl, target) SELECT ${pick(0, 2)}, ?1, value ->> 2
    FROM json_each(?2)`,
  connClose: `UPDATE connections SET to_crawl = ?1
    WHERE +to_crawl IS NULL AND (src, dst, kind) IN (SELECT ${pick(0, 3)} FROM json_each(?2))`,
  connOpen: `INSERT INTO connections (src, dst, kind, from_crawl, via) SELECT ${pick(0, 3)}, ?1, value ->> 3
    FROM json_each(?2)`,
  factClose: `UPDATE node_facts SET to_crawl = ?1 WHERE +to_crawl IS NULL AND node IN (SELECT value FROM json_each(?2))`,
  factOpen: `INSERT INTO node_facts (node, from_crawl, endpoint, version, started_at, threads)
    SELECT value ->> 0, ?1, ${pick(1, 4)} FROM json_each(?2)`,
  crawl: `UPDATE crawls SET state = ?, finished_at = ?, duration_ms = ?, seeds = ?, data = 'raw', visits = ?,
    discovered = ?, reachable = ?, unreachable = ?, rings = ?, main_ring_size = ?, consistency = ?,
    findings_total = ?, findings = ?, errors = ?, reason = ? WHERE id = ?`,
};

async function bulk(db: Database, sql: string, rows: unknown[], ...before: SqlValue[]): Promise<void> {
  if (rows.length > 0) await db.run(sql, [...before, JSON.stringify(rows)]);
}

export async function recordCrawl(
  db: Database,
  crawlId: number,
  result: CrawlResult,
  analysis: RingAnalysis,
): Promise<CrawlDelta> {
  return db.transaction(async () => {
    const crawl = await db.get<{ state: string; started_at: number }>(
      'SELECT state, started_at FROM crawls WHERE id = ?',
      [crawlId],
    );
    if (!crawl) throw new Error(`recordCrawl: crawl ${crawlId} does not exist`);
    if (crawl.state !== 'running')
      throw new Error(`recordCrawl: crawl ${crawlId} is ${crawl.state}, not running`);
    const prevId =
      (
        await db.get<{ id: number | null }>(
          `SELECT id FROM crawls WHERE data != 'none' ORDER BY id DESC LIMIT 1`,
        )
      )?.id ?? null;
    if (prevId !== null && prevId >= crawlId) {
      throw new Error(
        `recordCrawl: crawl ${crawlId} is not newer than recorded crawl ${prevId}; record in order`,
      );
    }

    // Current state of everything this crawl touches (the read overlaps with building the entries).
    const present = loadPresent(db);
    present.catch(() => undefined); // awaited below; not an unhandled rejection while the entries are built
    const entries = await buildEntries(result, analysis);
    const rows = new Map<string, NodeRow>();
    for (const r of await present) rows.set(r.key, r);
    // A finding is about the node keyed by its endpoint when that is how the node is keyed (a second
    // node behind a duplicate ID), else about its node ID.
    const entryKeys = new Set(entries.map((e) => e.key));
    const subject = (f: Finding) => (f.endpoint && entryKeys.has(f.endpoint) ? f.endpoint : f.nodeId);
    const findingNodes = analysis.findings.map(subject);
    for (const r of await internKeys(db, await unknownKeys(entries, findingNodes, rows))) rows.set(r.key, r);
    const idOf = (key: string) => rows.get(key)?.id;
    const urlIds = await internEndpoints(
      db,
      entries.filter((e) => rows.get(e.key)!.endpointUrl !== e.endpoint).map((e) => e.endpoint),
    );

    // Observations first: SQLite inserts them while the diff below runs.
    const obs: (number | null)[][] = [];
    await forEachSliced(entries, (e) => obs.push(observationRow(e, crawl.started_at, rows.get(e.key)!.id)));
    obs.sort((x, y) => x[0]! - y[0]!);
    const inserting = bulk(db, SQL.observations, obs, crawlId);
    inserting.catch(() => undefined);

    let w: Work;
    let delta: CrawlDelta;
    try {
      ({ w, delta } = await diffNodes(entries, rows, crawlId, prevId, urlIds));
    } catch (err) {
      await inserting.catch(() => undefined); // never leave a statement running past the rollback
      throw err;
    }
    await inserting;
    await bulk(db, SQL.nodes, w.updates);
    await bulk(db, SQL.slotClose, w.slotClose, crawlId);
    await bulk(db, SQL.slotOpen, w.slotOpen, crawlId);
    await bulk(db, SQL.connClose, w.connClose, crawlId);
    await bulk(db, SQL.connOpen, w.connOpen, crawlId);
    await bulk(db, SQL.factClose, w.factClose, crawlId);
    await bulk(db, SQL.factOpen, w.factOpen, crawlId);
    await diffFindings(db, crawlId, crawl.started_at, analysis.findings, (f) => idOf(subject(f)), delta);

    // Keys of every node the delta names (some only appear in closed intervals).
    const known = new Map([...rows.values()].map((r) => [r.id, r.key] as const));
    const ids = [...w.added, ...w.removed].flatMap(([f, t, , v]) => (v === null ? [f, t] : [f, t, v]));
    const more = await keysOf(
      db,
      ids.filter((id) => !known.has(id)),
    );
    const keyOf = (id: number) => known.get(id) ?? more.get(id) ?? `#${id}`;
    const edge = ([f, t, kind, via]: IntEdge): TopologyEdge =>
      via === null
        ? { from: keyOf(f), to: keyOf(t), kind }
        : { from: keyOf(f), to: keyOf(t), kind, via: keyOf(via) };
    delta.edgesAdded = w.added.map(edge);
    delta.edgesRemoved = w.removed.map(edge);

    const sum = crawlSummary(result, analysis);
    await db.run(SQL.crawl, [
      result.state,
      result.finishedAt,
      result.finishedAt - result.startedAt,
      JSON.stringify(result.seeds),
      sum.visits,
      sum.discovered,
      sum.reachable,
      sum.unreachable,
      sum.rings,
      sum.mainRingSize,
      sum.consistency,
      sum.findingsTotal,
      sum.findings,
      sum.errors,
      result.reason ?? null,
      crawlId,
    ]);
    return delta;
  });
}
