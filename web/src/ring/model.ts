/**
 * The ring as the dashboard holds it: nodes (with crawl state and detector signal → health) and edges,
 * indexed for in-place live updates. Pure: loading a topology, applying a crawl's delta and signals,
 * and the questions the Ring view asks (neighbours, who disagrees, search, unhealthy list).
 */
import type {
  CrawlNodeState,
  CrawlSummary,
  EdgeKind,
  NodeHealth,
  TopologyEdge,
  TopologyNode,
  WireDelta,
  WireTopology,
} from '../types.js';

/** A detector signal that overrides the crawl state in the node's health (strongest last). */
export type NodeSignal = 'persistent' | 'stalled' | 'lost';
const SIGNAL_RANK: Record<NodeSignal, number> = { persistent: 1, stalled: 2, lost: 3 };

export interface RingNode {
  key: string;
  nodeId: string | null;
  endpoint: string | null;
  state: CrawlNodeState;
  signal: NodeSignal | null;
  score: number | null;
  /** The crawl the score is from (deltas carry state changes, not scores). */
  scoreAt: number | null;
  ring: number | null;
  /** ID / 2^160 in [0, 1); null for nodes known only by endpoint. */
  position: number | null;
}

export interface RingModel {
  /** The crawl this state corresponds to. */
  crawlId: number | null;
  nodes: Map<string, RingNode>;
  edges: Map<string, TopologyEdge>;
  /** Node key → keys of edges leaving it / arriving at it. */
  out: Map<string, Set<string>>;
  in: Map<string, Set<string>>;
}

/** What one update changed, for the graph to patch itself (never a re-layout). */
export interface ModelChange {
  nodesAdded: RingNode[];
  nodesRemoved: string[];
  /** Nodes whose health changed. */
  healthChanged: string[];
  edgesAdded: TopologyEdge[];
  edgesRemoved: TopologyEdge[];
}

/** Identity of an edge (as the server's delta): from, to, kind, via. Also the graph element id. */
export const edgeKey = (e: TopologyEdge): string => `${e.from}|${e.to}|${e.kind}|${e.via ?? ''}`;

/** Fraction of the ring at which a 40-hex node ID sits (its first 52 bits / 2^52); null otherwise. */
export function positionOf(nodeId: string | null): number | null {
  if (!nodeId || !/^[0-9a-f]{13}/i.test(nodeId)) return null;
  return parseInt(nodeId.slice(0, 13), 16) / 2 ** 52;
}

/** The node's health: its strongest signal, else its crawl state (the server's healthAt rule). */
export const healthOf = (n: RingNode): NodeHealth => n.signal ?? n.state;

const signalOfHealth = (h: NodeHealth): NodeSignal | null =>
  h === 'persistent' || h === 'stalled' || h === 'lost' ? h : null;

export function emptyModel(crawlId: number | null = null): RingModel {
  return { crawlId, nodes: new Map(), edges: new Map(), out: new Map(), in: new Map() };
}

function addNode(
  m: RingModel,
  n: TopologyNode,
  signal: NodeSignal | null,
  scoreAt: number | null,
  position?: number | null,
): RingNode {
  const node: RingNode = {
    key: n.key,
    nodeId: n.nodeId,
    endpoint: n.endpoint,
    state: n.state,
    signal,
    score: n.score,
    scoreAt,
    ring: n.ring,
    position: position !== undefined ? position : positionOf(n.nodeId),
  };
  m.nodes.set(n.key, node);
  return node;
}

const index = (map: Map<string, Set<string>>, node: string, key: string) => {
  let s = map.get(node);
  if (!s) map.set(node, (s = new Set()));
  s.add(key);
};

function addEdge(m: RingModel, e: TopologyEdge): boolean {
  const k = edgeKey(e);
  if (m.edges.has(k)) return false;
  m.edges.set(k, e);
  index(m.out, e.from, k);
  index(m.in, e.to, k);
  return true;
}

function removeEdge(m: RingModel, k: string): TopologyEdge | null {
  const e = m.edges.get(k);
  if (!e) return null;
  m.edges.delete(k);
  m.out.get(e.from)?.delete(k);
  m.in.get(e.to)?.delete(k);
  return e;
}

/** The model of a topology from GET /crawls/:id/topology. */
export function fromTopology(t: WireTopology): RingModel {
  const m = emptyModel(t.crawl.id);
  for (const n of t.nodes) addNode(m, n, signalOfHealth(n.health), t.crawl.id, n.position);
  for (const e of t.edges) addEdge(m, e);
  return m;
}

/**
 * Add the connection edges (near, shortcut, relay, leaf) of a full topology of the model's own crawl to
 * a model loaded without them; returns them as a change (empty when the crawls differ).
 */
export function mergeConnections(m: RingModel, full: WireTopology): ModelChange {
  const change: ModelChange = {
    nodesAdded: [],
    nodesRemoved: [],
    healthChanged: [],
    edgesAdded: [],
    edgesRemoved: [],
  };
  if (full.crawl.id !== m.crawlId) return change;
  for (const e of full.edges) if (!SLOT_KINDS.has(e.kind) && addEdge(m, e)) change.edgesAdded.push(e);
  return change;
}

const SLOT_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['L1', 'L2', 'R1', 'R2']);

/** Whether a delta applies to the model: yes, already applied (stale), or a gap (reload instead). */
export function deltaFits(
  m: RingModel,
  d: Pick<WireDelta, 'fromCrawlId' | 'toCrawlId'>,
): 'apply' | 'stale' | 'gap' {
  if (m.crawlId !== null && d.toCrawlId <= m.crawlId) return 'stale';
  return d.fromCrawlId === m.crawlId ? 'apply' : 'gap';
}

/**
 * Apply a crawl's delta in place (the caller checked deltaFits === 'apply'). Removing a node also
 * removes its edges; edges whose ends are not both known are kept in the model but the graph skips them.
 */
export function applyDelta(m: RingModel, d: WireDelta): ModelChange {
  const change: ModelChange = {
    nodesAdded: [],
    nodesRemoved: [],
    healthChanged: [],
    edgesAdded: [],
    edgesRemoved: [],
  };
  for (const e of d.edges.removed) {
    const gone = removeEdge(m, edgeKey(e));
    if (gone) change.edgesRemoved.push(gone);
  }
  for (const key of d.nodes.removed) {
    if (!m.nodes.delete(key)) continue;
    change.nodesRemoved.push(key);
    for (const k of [...(m.out.get(key) ?? []), ...(m.in.get(key) ?? [])]) {
      const gone = removeEdge(m, k);
      if (gone) change.edgesRemoved.push(gone);
    }
    m.out.delete(key);
    m.in.delete(key);
  }
  for (const n of d.nodes.added) {
    const old = m.nodes.get(n.key);
    if (old) {
      const before = healthOf(old);
      old.state = n.state;
      old.score = n.score;
      old.scoreAt = d.toCrawlId;
      if (healthOf(old) !== before) change.healthChanged.push(n.key);
      continue;
    }
    change.nodesAdded.push(addNode(m, n, null, d.toCrawlId));
  }
  for (const c of d.nodes.changed) {
    const n = m.nodes.get(c.key);
    if (!n || n.state === c.to) continue;
    const before = healthOf(n);
    n.state = c.to;
    if (healthOf(n) !== before) change.healthChanged.push(c.key);
  }
  for (const e of d.edges.added) if (addEdge(m, e)) change.edgesAdded.push(e);
  m.crawlId = d.toCrawlId;
  return change;
}

/**
 * Set every node's signal from a crawl summary's active lists (persistent inconsistency, stalled
 * threads, lost); returns the keys whose health changed.
 */
export function applySignals(
  m: RingModel,
  s: Pick<CrawlSummary, 'persistentInconsistent' | 'stalledThreads' | 'lost'>,
): string[] {
  const want = new Map<string, NodeSignal>();
  const put = (id: string, sig: NodeSignal) => {
    const cur = want.get(id);
    if (!cur || SIGNAL_RANK[sig] > SIGNAL_RANK[cur]) want.set(id, sig);
  };
  for (const id of s.persistentInconsistent) put(id, 'persistent');
  for (const t of s.stalledThreads) put(t.nodeId, 'stalled');
  for (const id of s.lost) put(id, 'lost');
  const changed: string[] = [];
  for (const n of m.nodes.values()) {
    const sig = (n.nodeId !== null ? want.get(n.nodeId) : undefined) ?? null;
    if (sig !== n.signal) {
      const before = healthOf(n);
      n.signal = sig;
      if (healthOf(n) !== before) changed.push(n.key);
    }
  }
  return changed;
}

/** Nodes joined to `key` by any edge (either direction, any kind). */
export function neighbours(m: RingModel, key: string): Set<string> {
  const out = new Set<string>();
  for (const k of m.out.get(key) ?? []) out.add(m.edges.get(k)!.to);
  for (const k of m.in.get(key) ?? []) out.add(m.edges.get(k)!.from);
  out.delete(key);
  return out;
}

const MIRROR: Partial<Record<EdgeKind, EdgeKind>> = { L1: 'R1', R1: 'L1', L2: 'R2', R2: 'L2' };

function hasEdge(m: RingModel, from: string, to: string, kind: EdgeKind): boolean {
  return m.edges.has(`${from}|${to}|${kind}|`);
}

const reports = (m: RingModel, key: string) =>
  [...(m.out.get(key) ?? [])].some((k) => MIRROR[m.edges.get(k)!.kind]);

/**
 * Nodes whose ring slots disagree with `key`'s: `key` names Y in slot S but Y (which reports its
 * slots) does not name `key` in the mirror slot, or Y names `key` and `key` does not name Y back.
 */
export function disagreeing(m: RingModel, key: string): Set<string> {
  const out = new Set<string>();
  const selfReports = reports(m, key);
  for (const k of m.out.get(key) ?? []) {
    const e = m.edges.get(k)!;
    const mirror = MIRROR[e.kind];
    if (!mirror || e.to === key || !m.nodes.has(e.to)) continue;
    if (reports(m, e.to) && !hasEdge(m, e.to, key, mirror)) out.add(e.to);
  }
  if (selfReports) {
    for (const k of m.in.get(key) ?? []) {
      const e = m.edges.get(k)!;
      const mirror = MIRROR[e.kind];
      if (mirror && e.from !== key && !hasEdge(m, key, e.from, mirror)) out.add(e.from);
    }
  }
  return out;
}

/** Nodes whose key (ID or endpoint) starts with `prefix` (case-insensitive), at most `limit`, by key. */
export function searchPrefix(m: RingModel, prefix: string, limit = 10): RingNode[] {
  const p = prefix.trim().toLowerCase();
  if (!p) return [];
  const found: RingNode[] = [];
  for (const n of m.nodes.values()) if (n.key.toLowerCase().startsWith(p)) found.push(n);
  found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return found.slice(0, limit);
}

const SEVERITY: Record<NodeHealth, number> = {
  lost: 0,
  stalled: 1,
  persistent: 2,
  unreachable: 3,
  inconsistent: 4,
  ok: 5,
};

/** Every node not ok, worst first, then by key. */
export function unhealthy(m: RingModel): RingNode[] {
  return [...m.nodes.values()]
    .filter((n) => healthOf(n) !== 'ok')
    .sort((a, b) => SEVERITY[healthOf(a)] - SEVERITY[healthOf(b)] || (a.key < b.key ? -1 : 1));
}

/** Nodes per health. */
export function healthCounts(m: RingModel): Record<NodeHealth, number> {
  const c: Record<NodeHealth, number> = {
    ok: 0,
    inconsistent: 0,
    persistent: 0,
    stalled: 0,
    unreachable: 0,
    lost: 0,
  };
  for (const n of m.nodes.values()) c[healthOf(n)]++;
  return c;
}

/** Ring radius (model units) for n nodes: room for ~10 units per node on the circle. */
export const ringRadius = (n: number): number => Math.max(200, (n * 10) / (2 * Math.PI));

/**
 * Where a node sits: on the circle at angle position·2π, clockwise from the top; nodes without a
 * position on an inner circle at an angle from a hash of their key.
 */
export function layoutOf(n: Pick<RingNode, 'key' | 'position'>, radius: number): { x: number; y: number } {
  let pos = n.position;
  let r = radius;
  if (pos === null) {
    let hash = 0;
    for (let i = 0; i < n.key.length; i++) hash = (hash * 31 + n.key.charCodeAt(i)) >>> 0;
    pos = hash / 2 ** 32;
    r = radius * 0.85;
  }
  const a = pos * 2 * Math.PI - Math.PI / 2;
  return { x: r * Math.cos(a), y: r * Math.sin(a) };
}
