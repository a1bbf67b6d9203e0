/**
 * The pure part of recordCrawl's diff: compare each node's reported state with the values of its open
 * intervals (its `nodes` row) and list the intervals to close and open, the node rows to rewrite, and the
 * delta. No I/O.
 */
import { forEachSliced } from '../core/slice.js';
import { CONNECTION_KIND, SLOTS, connectionKinds, int, nodeStates } from './codec.js';
import type { NodeRow } from './nodes.js';
import type { Entry } from './record-input.js';
import type { CrawlDelta, EdgeKind } from './types.js';

/** [from, to, kind, via] with node ids. */
export type IntEdge = [number, number, EdgeKind, number | null];

/** The writes one crawl needs, as rows for the bulk statements of record.ts. */
export interface Work {
  updates: unknown[][];
  slotClose: number[][];
  slotOpen: number[][];
  connClose: number[][];
  connOpen: (number | null)[][];
  factClose: number[];
  factOpen: unknown[][];
  added: IntEdge[];
  removed: IntEdge[];
}

const mutable = (r: NodeRow) => [
  r.id,
  r.firstCrawl,
  r.seenFrom,
  r.seenUntil,
  r.state,
  r.endpoint,
  r.version,
  r.startedAt,
  r.threads,
  ...r.slots,
  r.conns,
  r.error,
];

function sameState(a: NodeRow, b: NodeRow): boolean {
  return (
    a.firstCrawl === b.firstCrawl &&
    a.seenFrom === b.seenFrom &&
    a.seenUntil === b.seenUntil &&
    a.state === b.state &&
    a.endpoint === b.endpoint &&
    a.version === b.version &&
    a.startedAt === b.startedAt &&
    a.threads === b.threads &&
    a.slots.every((v, i) => v === b.slots[i]) &&
    a.conns === b.conns &&
    a.error === b.error
  );
}

const splitConn = (k: string) => k.split('.').map(Number) as [number, number, number?];

/** Diff one node's open edges against what it reports now (all null when absent or unreachable). */
function diffEdges(
  row: NodeRow,
  next: NodeRow,
  slotsNow: (number | null)[],
  connsNow: string | null,
  w: Work,
) {
  for (let i = 0; i < 4; i++) {
    const before = row.slots[i] ?? null;
    const now = slotsNow[i] ?? null;
    if (before === now) continue;
    if (before !== null) {
      w.slotClose.push([row.id, i]);
      w.removed.push([row.id, before, SLOTS[i]!, null]);
    }
    if (now !== null) {
      w.slotOpen.push([row.id, i, now]);
      w.added.push([row.id, now, SLOTS[i]!, null]);
    }
  }
  next.slots = slotsNow;
  next.conns = connsNow;
  if (row.conns === connsNow) return;
  const before = new Set(row.conns ? row.conns.split(',') : []);
  const now = new Set(connsNow ? connsNow.split(',') : []);
  for (const k of before) {
    if (now.has(k)) continue;
    const [dst, kind, via] = splitConn(k);
    w.connClose.push([row.id, dst, kind]);
    w.removed.push([row.id, dst, connectionKinds.value(kind), via ?? null]);
  }
  for (const k of now) {
    if (before.has(k)) continue;
    const [dst, kind, via] = splitConn(k);
    w.connOpen.push([row.id, dst, kind, via ?? null]);
    w.added.push([row.id, dst, connectionKinds.value(kind), via ?? null]);
  }
}

/** Canonical open-connection text: sorted "dst.kind[.via]" with node ids, one per (dst, kind). */
function connText(e: Entry, idOf: (key: string) => number | undefined): string | null {
  if (!e.reachable || !e.status) return null;
  const seen = new Set<number>();
  const parts: string[] = [];
  for (const c of e.status.connections) {
    const dst = idOf(c.peerId);
    if (dst === undefined) continue;
    const kind = CONNECTION_KIND[c.kind];
    if (seen.has(dst * 4 + kind)) continue;
    seen.add(dst * 4 + kind);
    const via = c.via === undefined ? undefined : idOf(c.via);
    parts.push(via === undefined ? `${dst}.${kind}` : `${dst}.${kind}.${via}`);
  }
  return parts.length > 0 ? parts.sort().join(',') : null;
}

/** Facts, error, slots and connections of one observed node: fills `next` and the work lists. */
function diffNode(
  e: Entry,
  row: NodeRow,
  next: NodeRow,
  urlIds: Map<string, number>,
  idOf: (k: string) => number | undefined,
  w: Work,
) {
  const s = e.status;
  next.endpoint = row.endpointUrl === e.endpoint ? row.endpoint : urlIds.get(e.endpoint)!;
  next.endpointUrl = e.endpoint;
  if (s) {
    next.version = s.version;
    next.startedAt = int(Date.parse(s.startedAt));
    next.threads = JSON.stringify(s.threads.map((t) => t.name));
  }
  const factsChanged =
    next.endpoint !== row.endpoint ||
    next.version !== row.version ||
    next.startedAt !== row.startedAt ||
    next.threads !== row.threads;
  if (row.firstCrawl === null || factsChanged) {
    if (row.firstCrawl !== null) w.factClose.push(row.id);
    w.factOpen.push([row.id, next.endpoint, next.version, next.startedAt, next.threads]);
  }
  if (e.visit && !e.visit.ok) {
    const { error: kind, detail, httpStatus } = e.visit;
    next.error = JSON.stringify(httpStatus === undefined ? { kind, detail } : { kind, detail, httpStatus });
  }
  const slotsNow = e.slots.map((t) => (t === null ? null : (idOf(t) ?? null)));
  diffEdges(row, next, slotsNow, connText(e, idOf), w);
}

/**
 * Diff every observed node and every node that disappeared; pure computation, no I/O, sliced so the
 * event loop runs other work in between (none of the arguments may change until it resolves).
 */
export async function diffNodes(
  entries: readonly Entry[],
  rows: Map<string, NodeRow>,
  crawlId: number,
  prevId: number | null,
  urlIds: Map<string, number>,
): Promise<{ w: Work; delta: CrawlDelta }> {
  const idOf = (key: string) => rows.get(key)?.id;
  const w: Work = {
    updates: [],
    slotClose: [],
    slotOpen: [],
    connClose: [],
    connOpen: [],
    factClose: [],
    factOpen: [],
    added: [],
    removed: [],
  };
  const delta: CrawlDelta = {
    crawlId,
    previousCrawlId: prevId,
    nodesAdded: [],
    nodesRemoved: [],
    nodesChanged: [],
    edgesAdded: [],
    edgesRemoved: [],
    findingsOpened: [],
    findingsClosed: [],
  };
  const seen = new Set<number>();
  await forEachSliced(entries, (e) => {
    const row = rows.get(e.key)!;
    const next: NodeRow = { ...row };
    const a = e.assessment;
    const state = nodeStates.code(a.state);
    seen.add(row.id);
    if (row.seenFrom === null || row.seenUntil !== null) {
      next.seenFrom = crawlId;
      next.seenUntil = null;
      next.firstCrawl ??= crawlId;
      const node = { key: e.key, nodeId: e.nodeId, endpoint: e.endpoint, state: a.state };
      delta.nodesAdded.push({ ...node, score: a.score, ring: a.ring ?? null });
    } else if (row.state !== state) {
      delta.nodesChanged.push({ key: e.key, from: nodeStates.value(row.state ?? state), to: a.state });
    }
    next.state = state;
    diffNode(e, row, next, urlIds, idOf, w);
    if (!sameState(row, next)) w.updates.push(mutable(next));
  });
  // Nodes seen last time but not now: their edges end here.
  await forEachSliced(rows.values(), (row) => {
    if (seen.has(row.id) || row.seenFrom === null || row.seenUntil !== null) return;
    const next: NodeRow = { ...row, seenUntil: prevId };
    diffEdges(row, next, [null, null, null, null], null, w);
    delta.nodesRemoved.push(row.key);
    w.updates.push(mutable(next));
  });

  return { w, delta };
}
