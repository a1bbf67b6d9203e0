/**
 * Relays: which nodes relay connections between NAT'd pairs, and what the relay costs in RTT.
 *
 * The relayed connections themselves are topology (table `connections`, kind relay, with `via`),
 * recorded by recordCrawl. RTTs are not topology; recordRelayRtts keeps, in `conn_rtt`
 * (migrations/005_relays.sql), the RTT of every relayed connection and of the direct links around it
 * (from↔via, via↔to, and from↔to if the two ends also have a direct link), as intervals: a crawl opens
 * a row only when a value appears or moves by more than RTT_TOLERANCE, and closes rows that disappear.
 * An unchanged ring therefore writes nothing; closed rows that no retained crawl needs are deleted on
 * the way (the retention rule of the other interval tables).
 */
import type { Status } from '../../node-agent/schema.js';
import type { CrawlResult } from '../core/model.js';
import { forEachSliced } from '../core/slice.js';
import { CONNECTION_KIND } from './codec.js';
import type { SqlRunner } from './db.js';
import { jsonRows, keysOf, loadByKeys } from './nodes.js';
import { getCrawl } from './read.js';
import type { RelayEdge, RelayRank, RelayReport } from './types.js';

/** A stored RTT is replaced when the new one differs by more than max(absUs, rel × stored). */
export const RTT_TOLERANCE = { absUs: 1000, rel: 0.1 } as const;

/** What one crawl wrote. */
export interface RelayRttWrites {
  opened: number;
  closed: number;
  deleted: number;
}

const pairKey = (a: string, b: string) => (a < b ? `${a} ${b}` : `${b} ${a}`);

/**
 * Record the RTTs of this crawl's relayed connections and the direct links around them. Call inside
 * the crawl's transaction, after recordCrawl (which interns every node key named here).
 */
export async function recordRelayRtts(
  db: SqlRunner,
  crawlId: number,
  result: Pick<CrawlResult, 'visits'>,
): Promise<RelayRttWrites> {
  // Reachable nodes by ID (a duplicated ID is ambiguous: left out).
  const byId = new Map<string, Status | null>();
  for (const v of result.visits) {
    if (!v.ok) continue;
    const id = v.status.nodeId;
    byId.set(id, byId.has(id) ? null : v.status);
  }
  const statuses = [...byId.values()].filter((s): s is Status => s !== null);
  // Pairs that matter: each relayed pair, and both legs through its relay. (Sliced: every status's
  // connections are read twice, 0.3 s at 10k nodes.)
  const pairs = new Set<string>();
  const involved = new Set<string>();
  await forEachSliced(statuses, (s) => {
    for (const c of s.connections) {
      if (c.kind !== 'relay' || c.via === undefined) continue;
      pairs.add(pairKey(s.nodeId, c.peerId));
      pairs.add(pairKey(s.nodeId, c.via));
      pairs.add(pairKey(c.via, c.peerId));
      involved.add(s.nodeId).add(c.peerId).add(c.via);
    }
  });
  /** "src dst relayed" → [src, dst, relayed, rtt µs] as reported in this crawl (first report wins). */
  const now = new Map<string, [string, string, number, number]>();
  await forEachSliced(statuses, (s) => {
    if (!involved.has(s.nodeId)) return;
    for (const c of s.connections) {
      if (!involved.has(c.peerId) || !pairs.has(pairKey(s.nodeId, c.peerId))) continue;
      const relayed = c.kind === 'relay' ? 1 : 0;
      const k = `${s.nodeId} ${c.peerId} ${relayed}`;
      if (!now.has(k)) now.set(k, [s.nodeId, c.peerId, relayed, Math.round(c.rttMs * 1000)]);
    }
  });
  const ids = new Map<string, number>();
  const keys = new Set<string>();
  for (const [s, d] of now.values()) keys.add(s).add(d);
  if (keys.size > 0) for (const r of await loadByKeys(db, [...keys])) ids.set(r.key, r.id);

  const open = await jsonRows<[number, number, number, number]>(
    db,
    `SELECT json_group_array(json_array(src, dst, relayed, rtt_us)) AS j FROM conn_rtt WHERE to_crawl IS NULL`,
  );
  const openMap = new Map(open.map((r) => [`${r[0]} ${r[1]} ${r[2]}`, r[3]]));
  const close: number[][] = [];
  const insert: number[][] = [];
  const seen = new Set<string>();
  for (const [s, d, relayed, rtt] of now.values()) {
    const src = ids.get(s);
    const dst = ids.get(d);
    if (src === undefined || dst === undefined) continue;
    const k = `${src} ${dst} ${relayed}`;
    seen.add(k);
    const before = openMap.get(k);
    if (
      before !== undefined &&
      Math.abs(rtt - before) <= Math.max(RTT_TOLERANCE.absUs, RTT_TOLERANCE.rel * before)
    )
      continue;
    if (before !== undefined) close.push([src, dst, relayed]);
    insert.push([src, dst, relayed, rtt]);
  }
  for (const r of open) if (!seen.has(`${r[0]} ${r[1]} ${r[2]}`)) close.push([r[0], r[1], r[2]]);
  if (close.length > 0) {
    await db.run(
      `UPDATE conn_rtt SET to_crawl = ?1 WHERE +to_crawl IS NULL
         AND (src, dst, relayed) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?2))`,
      [crawlId, JSON.stringify(close)],
    );
  }
  if (insert.length > 0) {
    await db.run(
      `INSERT INTO conn_rtt (src, dst, relayed, from_crawl, rtt_us)
       SELECT value ->> 0, value ->> 1, value ->> 2, ?1, value ->> 3 FROM json_each(?2)`,
      [crawlId, JSON.stringify(insert)],
    );
  }
  // An interval [from, to) is needed by crawl c iff from <= c < to: none retained needs to <= oldest.
  const deleted = await db.run(
    `DELETE FROM conn_rtt WHERE to_crawl <= (SELECT coalesce(min(id), 0) FROM crawls WHERE data = 'raw')`,
  );
  return { opened: insert.length, closed: close.length, deleted: deleted.changes };
}

const avg = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
};

/**
 * The relays of a recorded crawl whose raw data is retained (default: the latest recorded crawl), or
 * null when there is no such crawl.
 */
export async function relaysAt(db: SqlRunner, crawlId?: number): Promise<RelayReport | null> {
  const id =
    crawlId ??
    (await db.get<{ id: number }>(`SELECT id FROM crawls WHERE data != 'none' ORDER BY id DESC LIMIT 1`))?.id;
  if (id === undefined) return null;
  const crawl = await getCrawl(db, id);
  if (!crawl || crawl.data !== 'raw') return null;
  const at = (t: string) => `${t}.from_crawl <= ?1 AND (${t}.to_crawl IS NULL OR ${t}.to_crawl > ?1)`;
  const conns = await jsonRows<[number, number, number]>(
    db,
    `SELECT json_group_array(json_array(src, dst, via)) AS j FROM connections c
     WHERE c.kind = ${CONNECTION_KIND.relay} AND c.via IS NOT NULL AND ${at('c')}`,
    [id],
  );
  const rtts = await jsonRows<[number, number, number, number]>(
    db,
    `SELECT json_group_array(json_array(src, dst, relayed, rtt_us)) AS j FROM conn_rtt r WHERE ${at('r')}`,
    [id],
  );
  const rtt = new Map(rtts.map(([s, d, r, us]) => [`${s} ${d} ${r}`, us / 1000]));
  const direct = (a: number, b: number) => rtt.get(`${a} ${b} 0`) ?? rtt.get(`${b} ${a} 0`) ?? null;
  const keys = await keysOf(
    db,
    conns.flatMap((c) => c),
  );
  const k = (n: number) => keys.get(n) ?? `#${n}`;

  const edges: RelayEdge[] = [];
  const byVia = new Map<number, { pairs: Set<string>; nodes: Set<number>; edges: RelayEdge[] }>();
  for (const [src, dst, via] of conns) {
    const l1 = direct(src, via);
    const l2 = direct(via, dst);
    const e: RelayEdge = {
      from: k(src),
      to: k(dst),
      via: k(via),
      rttMs: rtt.get(`${src} ${dst} 1`) ?? null,
      directRttMs: direct(src, dst),
      legsRttMs: l1 !== null && l2 !== null ? l1 + l2 : null,
    };
    edges.push(e);
    let r = byVia.get(via);
    if (!r) byVia.set(via, (r = { pairs: new Set(), nodes: new Set(), edges: [] }));
    r.pairs.add(src < dst ? `${src} ${dst}` : `${dst} ${src}`);
    r.nodes.add(src).add(dst);
    r.edges.push(e);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  edges.sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.via, b.via));
  const relays: RelayRank[] = [...byVia.entries()]
    .map(([via, r]) => ({
      via: k(via),
      connections: r.pairs.size,
      nodes: r.nodes.size,
      avgRttMs: avg(r.edges.map((e) => e.rttMs)),
      avgLegsRttMs: avg(r.edges.map((e) => e.legsRttMs)),
      avgDirectRttMs: avg(r.edges.map((e) => e.directRttMs)),
    }))
    .sort((a, b) => b.connections - a.connections || cmp(a.via, b.via));
  const pairs = new Set(conns.map(([s, d]) => (s < d ? `${s} ${d}` : `${d} ${s}`)));
  const nodes = new Set(conns.flatMap(([s, d]) => [s, d]));
  return {
    crawlId: id,
    startedAt: crawl.startedAt,
    edges,
    relays,
    relayedConnections: pairs.size,
    relayedNodes: nodes.size,
  };
}
