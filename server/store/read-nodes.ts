/**
 * Read side for the node list and a node's detail page: each node's derived state (the latest crawl's
 * state refined by active detector signals), its expected ring neighbours, and its recent history.
 *
 * Derived state: lost > stalled > persistent > the latest crawl's state (ok / inconsistent /
 * unreachable); `flags` lists every state that applies. Active signals are looked up per node through
 * the partial index signals_open_node inside the same statement (no query per node).
 */
import type { CrawlNodeState, NodeHealth, SlotMap } from '../core/model.js';
import { NEIGHBOR_SLOTS, NODE_STATES } from '../core/model.js';
import { NODE_STATE, isNodeId, nodeStates } from './codec.js';
import type { SqlRunner, SqlValue } from './db.js';
import { jsonRows } from './nodes.js';
import { findingsForNode, nodeLatest } from './read-node.js';
import { listFindings } from './read-nodes-findings.js';
import { signalHistory } from './signals.js';
import type { ListNodesOptions, NodeDetail, NodePage, NodeSummary, StoredSignal } from './types.js';

const PRESENT = 'n.seen_from IS NOT NULL AND n.seen_until IS NULL';
const LIVE = `${PRESENT} AND n.state != ${NODE_STATE.unreachable}`;
const ACTIVE = (key: string, kind: string) =>
  `EXISTS (SELECT 1 FROM signals s WHERE s.node_key = ${key} AND s.kind = '${kind}' AND s.to_crawl IS NULL)`;

/** The derived state and flags from the latest crawl state (null: absent) and active signal kinds. */
export function deriveState(
  crawlState: CrawlNodeState | null,
  signals: { lost: boolean; stalled: boolean; persistent: boolean },
): { state: NodeHealth; flags: NodeHealth[] } {
  const applies = new Set<NodeHealth>();
  if (crawlState !== null) applies.add(crawlState);
  if (signals.lost) applies.add('lost');
  if (signals.stalled) applies.add('stalled');
  if (signals.persistent) applies.add('persistent');
  const state: NodeHealth = signals.lost
    ? 'lost'
    : signals.stalled
      ? 'stalled'
      : signals.persistent
        ? 'persistent'
        : (crawlState ?? 'unreachable');
  applies.add(state);
  return { state, flags: NODE_STATES.filter((s) => applies.has(s)) };
}

type SummaryRaw = [
  string, // key
  string | null, // node_id
  string | null, // endpoint url
  number | null, // crawl state code when present, else null
  number, // lost
  number, // persistent
  string, // stalled threads (JSON array)
  number | null, // score x 1000
  number | null, // ring
  number | null, // last seen crawl
];

function toSummary(r: SummaryRaw): NodeSummary {
  const crawlState = r[3] === null ? null : nodeStates.value(r[3]);
  const stalledThreads = (JSON.parse(r[6]) as (string | null)[])
    .filter((t): t is string => t !== null)
    .sort();
  const { state, flags } = deriveState(crawlState, {
    lost: r[4] === 1,
    persistent: r[5] === 1,
    stalled: stalledThreads.length > 0,
  });
  return {
    key: r[0],
    nodeId: r[1],
    endpoint: r[2],
    state,
    flags,
    score: r[7] === null ? null : r[7] / 1000,
    ring: r[8],
    lastSeenCrawl: r[9],
    stalledThreads,
  };
}

/**
 * One page of nodes (`keyExpr` names the node's key, `order` the indexed column to walk). Candidates
 * are the nodes of the latest recorded crawl plus nodes with an active node_lost signal.
 */
async function page(
  db: SqlRunner,
  latest: number | null,
  from: string,
  keyExpr: string,
  where: string[],
  params: SqlValue[],
  limit: number,
): Promise<NodeSummary[]> {
  // The observation of the crawl it was last seen in: one primary-key seek per listed node.
  const last = `CASE WHEN ${PRESENT} THEN ?1 ELSE n.seen_until END`;
  const rows = await jsonRows<SummaryRaw>(
    db,
    `SELECT json_group_array(json_array(k, node_id, url, cstate, lost, persistent, stalled, score, ring, last))
       AS j FROM (
       SELECT ${keyExpr} AS k, n.node_id, e.url, CASE WHEN ${PRESENT} THEN n.state END AS cstate,
         ${ACTIVE(keyExpr, 'node_lost')} AS lost, ${ACTIVE(keyExpr, 'persistent_inconsistency')} AS persistent,
         (SELECT json_group_array(s.thread) FROM signals s WHERE s.node_key = ${keyExpr}
            AND s.kind = 'thread_stalled' AND s.to_crawl IS NULL) AS stalled,
         o.score, o.ring, ${last} AS last
       FROM ${from} LEFT JOIN endpoints e ON e.id = n.endpoint
       LEFT JOIN observations o ON o.crawl = ${last} AND o.node = n.id
       WHERE (${PRESENT} OR ${ACTIVE(keyExpr, 'node_lost')}) AND ${where.join(' AND ')}
       ORDER BY ${keyExpr} LIMIT ?2)`,
    [latest, limit, ...params],
  );
  return rows.map(toSummary).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The state filter as SQL over a node's key expression. */
function stateFilter(state: NodeHealth, keyExpr: string): string {
  switch (state) {
    case 'ok':
    case 'inconsistent':
    case 'unreachable':
      return `${PRESENT} AND n.state = ${NODE_STATE[state]}`;
    case 'persistent':
      return ACTIVE(keyExpr, 'persistent_inconsistency');
    case 'stalled':
      return ACTIVE(keyExpr, 'thread_stalled');
    case 'lost':
      return ACTIVE(keyExpr, 'node_lost');
  }
}

/**
 * Nodes of the latest recorded crawl plus lost ones, ordered by key: nodes with an ID by node ID (walking
 * the node_id index from the cursor), then nodes known only by endpoint, by URL. `prefix` must be hex
 * (validated by the caller; anything else matches nothing).
 */
export async function listNodes(db: SqlRunner, options: ListNodesOptions = {}): Promise<NodePage> {
  const limit = Math.max(1, Math.min(1000, Math.trunc(options.limit ?? 100)));
  const cursor = options.cursor;
  const prefix = options.prefix?.toLowerCase();
  if (prefix !== undefined && !/^[0-9a-f]{0,40}$/.test(prefix)) return { items: [], nextCursor: null };
  const latest =
    (await db.get<{ id: number }>(`SELECT id FROM crawls WHERE data != 'none' ORDER BY id DESC LIMIT 1`))
      ?.id ?? null;
  const items: NodeSummary[] = [];
  // Part 1: nodes with an ID. An endpoint cursor means part 1 is done.
  if (cursor === undefined || isNodeId(cursor)) {
    const where = ['n.node_id IS NOT NULL'];
    const params: SqlValue[] = [];
    if (cursor !== undefined) {
      where.push(`n.node_id > ?${3 + params.length}`);
      params.push(cursor);
    }
    if (prefix) {
      where.push(`n.node_id >= ?${3 + params.length} AND n.node_id < ?${4 + params.length}`);
      params.push(prefix, `${prefix}g`);
    }
    if (options.state) where.push(stateFilter(options.state, 'n.node_id'));
    items.push(...(await page(db, latest, 'nodes n', 'n.node_id', where, params, limit + 1)));
  }
  // Part 2: nodes known only by their endpoint (never with a prefix: they have no ID).
  if (items.length <= limit && !prefix) {
    const where = ['n.endpoint_key IS NOT NULL'];
    const params: SqlValue[] = [];
    if (cursor !== undefined && !isNodeId(cursor)) {
      where.push('ek.url > ?3');
      params.push(cursor);
    }
    if (options.state) where.push(stateFilter(options.state, 'ek.url'));
    const from = 'nodes n JOIN endpoints ek ON ek.id = n.endpoint_key';
    items.push(...(await page(db, latest, from, 'ek.url', where, params, limit + 1 - items.length)));
  }
  const more = items.length > limit;
  const out = items.slice(0, limit);
  return { items: out, nextCursor: more ? out[out.length - 1]!.key : null };
}

/**
 * The expected neighbours of a node ID: the two nearest nodes reachable in the latest crawl on each
 * side, by node ID with wrap-around (fewer on a small ring; the node itself never counts). Four short
 * index walks of the node_id index, not a load of the ring.
 */
export async function expectedNeighbors(db: SqlRunner, nodeId: string): Promise<SlotMap<string>> {
  const walk = async (cmp: '>' | '<', dir: 'ASC' | 'DESC', n: number) =>
    n <= 0
      ? []
      : (
          await db.all<{ node_id: string }>(
            `SELECT n.node_id FROM nodes n WHERE n.node_id ${cmp} ?1 AND ${LIVE}
             ORDER BY n.node_id ${dir} LIMIT ?2`,
            [nodeId, n],
          )
        ).map((r) => r.node_id);
  // Successors: after the ID, then wrapping around from the smallest (but not past the ID itself).
  const right = await walk('>', 'ASC', 2);
  if (right.length < 2) right.push(...(await walk('<', 'ASC', 2 - right.length)));
  const left = await walk('<', 'DESC', 2);
  if (left.length < 2) left.push(...(await walk('>', 'DESC', 2 - left.length)));
  // m live nodes besides this one: L1/R1 need m >= 1, L2/R2 need m >= 2 (as in the analysis).
  const others = new Set([...left, ...right]).size;
  const out: SlotMap<string> = {};
  if (others >= 1) {
    out.L1 = left[0]!;
    out.R1 = right[0]!;
  }
  if (others >= 2) {
    out.L2 = left[1]!;
    out.R2 = right[1]!;
  }
  return out;
}

/** The detail of a node, or null for an unknown key. */
export async function nodeDetail(db: SqlRunner, key: string): Promise<NodeDetail | null> {
  const latest = await nodeLatest(db, key);
  if (!latest) return null;
  const [active, recentSignals, open, findings, expected] = await Promise.all([
    signalHistory(db, { node: latest.key, active: true, limit: 1000 }),
    signalHistory(db, { node: latest.key, active: false, limit: 20 }),
    listFindings(db, { node: latest.key, status: 'open', limit: 1000 }),
    findingsForNode(db, latest.key, 100),
    latest.nodeId ? expectedNeighbors(db, latest.nodeId) : Promise.resolve<SlotMap<string>>({}),
  ]);
  active.sort((a, b) => a.id - b.id);
  open.sort((a, b) => a.id - b.id);
  const has = (kind: StoredSignal['kind']) => active.some((s) => s.kind === kind);
  const lost = has('node_lost');
  const crawlState = latest.present ? latest.state : null;
  const { state, flags } = deriveState(crawlState, {
    lost,
    stalled: has('thread_stalled'),
    persistent: has('persistent_inconsistency'),
  });
  const mismatch: SlotMap<boolean> = {};
  if (latest.present && latest.state !== null && latest.state !== 'unreachable') {
    for (const slot of NEIGHBOR_SLOTS) {
      const r = latest.slots[slot];
      const e = expected[slot];
      if (r !== undefined || e !== undefined) mismatch[slot] = r !== e;
    }
  }
  const { state: _crawl, ...rest } = latest;
  return {
    ...rest,
    state,
    crawlState: latest.state,
    flags,
    expected,
    mismatch,
    findings: { open, recent: findings.filter((f) => f.toCrawl !== null).slice(0, 20) },
    signals: { active, recent: recentSignals },
  };
}
