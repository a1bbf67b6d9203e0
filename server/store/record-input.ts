/**
 * Pure part of recordCrawl: turn a CrawlResult + RingAnalysis into one entry per observed node, the
 * integer observation rows, and the crawl's summary counts. No I/O (the per-node loops yield to the
 * event loop between slices).
 *
 * Rules (the test oracle mirrors them):
 *  - the analysis' node list is the set of observed nodes; visits are matched to them by endpoint;
 *  - a node's key is its node ID; a node without a valid ID, or a second node answering with an ID
 *    already taken in this crawl, is keyed by its endpoint; a repeated endpoint is kept once;
 *  - process/traffic numbers come from the visit's status only when it carries the node's own ID;
 *  - edges (ring slots and connections) are recorded only for reachable nodes: slots from the status'
 *    ring (else the assessment's `reported`), connections from the status, one per (peer, kind);
 *    a reported neighbour or peer that is not a node ID is dropped.
 */
import type { Status } from '../../node-agent/schema.js';
import type { CrawlResult, NodeAssessment, RingAnalysis, Visit } from '../core/model.js';
import { forEachSliced } from '../core/slice.js';
import { NODE_STATE, SLOTS, VISIT_ERROR, encodeChecks, encodeStalled, int, isNodeId } from './codec.js';

/** One observed node of a crawl, with a unique key within the crawl (see the rules above). */
export interface Entry {
  key: string;
  nodeId: string | null;
  endpoint: string;
  assessment: NodeAssessment;
  visit?: Visit;
  status?: Status;
  reachable: boolean;
  /** Reported L1, L2, R1, R2 (null: empty or not reachable). IDs not known to the store are dropped later. */
  slots: (string | null)[];
}

function pickVisits(visits: readonly Visit[]): Map<string, Visit> {
  const out = new Map<string, Visit>();
  for (const v of visits) {
    const had = out.get(v.endpoint);
    if (!had || (!had.ok && v.ok)) out.set(v.endpoint, v);
  }
  return out;
}

function slotIds(a: NodeAssessment, status: Status | undefined): (string | null)[] {
  const ids = status
    ? [status.ring.left[0]?.id, status.ring.left[1]?.id, status.ring.right[0]?.id, status.ring.right[1]?.id]
    : SLOTS.map((s) => a.reported[s]);
  return ids.map((id) => id ?? null);
}

/** The entries of a crawl (sliced: see server/core/slice.ts). */
export async function buildEntries(result: CrawlResult, analysis: RingAnalysis): Promise<Entry[]> {
  const visits = pickVisits(result.visits);
  const used = new Set<string>();
  const out: Entry[] = [];
  await forEachSliced(analysis.nodes, (a) => {
    const key = isNodeId(a.nodeId) && !used.has(a.nodeId) ? a.nodeId : a.endpoint;
    if (!key || used.has(key)) return;
    used.add(key);
    const visit = visits.get(a.endpoint);
    const status = visit?.status && visit.status.nodeId === a.nodeId ? visit.status : undefined;
    const reachable = a.reachable && a.state !== 'unreachable';
    out.push({
      key,
      nodeId: key === a.nodeId ? key : null,
      endpoint: a.endpoint,
      assessment: a,
      visit,
      status,
      reachable,
      slots: reachable ? slotIds(a, status) : [null, null, null, null],
    });
  });
  return out;
}

/**
 * Keys the crawl names that `known` does not hold yet: observed nodes and finding subjects (node IDs or
 * endpoint keys), and the node IDs reported as slots, peers and relays (anything not a node ID is
 * ignored there). Checking only unknown strings keeps a steady-state crawl free of per-edge regex work.
 * Sliced (server/core/slice.ts).
 */
export async function unknownKeys(
  entries: readonly Entry[],
  findingNodes: readonly string[],
  known: Map<string, unknown>,
): Promise<string[]> {
  const out = new Set<string>();
  const ref = (id: string | null | undefined) => {
    if (id && !known.has(id) && isNodeId(id)) out.add(id);
  };
  await forEachSliced(entries, (e) => {
    if (!known.has(e.key)) out.add(e.key);
    e.slots.forEach(ref);
    if (!e.reachable || !e.status) return;
    for (const c of e.status.connections) {
      ref(c.peerId);
      ref(c.via);
    }
  });
  for (const k of findingNodes) if (k && !known.has(k)) out.add(k);
  return [...out];
}

/** Observation columns after `crawl`, in table order (node first). */
export function observationRow(e: Entry, crawlStartedAt: number, node: number): (number | null)[] {
  const a = e.assessment;
  const v = e.visit;
  const s = e.status;
  const failed = v && !v.ok ? v : undefined;
  return [
    node,
    NODE_STATE[a.state],
    a.score === null ? null : int(a.score * 1000),
    encodeChecks(a.checks),
    a.ring ?? null,
    failed ? VISIT_ERROR[failed.error] : null,
    failed?.httpStatus ?? null,
    v ? (int(v.attempts) ?? 0) : 0,
    v ? (int(v.startedAt - crawlStartedAt) ?? 0) : 0,
    v ? (int(v.durationMs) ?? 0) : 0,
    s ? int(s.process.rssBytes) : null,
    s ? int(s.process.heapUsedBytes) : null,
    s ? int(s.process.cpuSeconds * 1000) : null,
    s ? int(s.process.eventLoopLagMs) : null,
    s ? int(s.queue.depth) : null,
    s ? int(s.traffic.bytesIn) : null,
    s ? int(s.traffic.bytesOut) : null,
    s ? int(s.traffic.packetsIn) : null,
    s ? int(s.traffic.packetsOut) : null,
    s ? encodeStalled(s.threads) : 0,
  ];
}

export const OBSERVATION_COLUMNS = [
  'node',
  'state',
  'score',
  'checks',
  'ring',
  'error',
  'http',
  'attempts',
  't_ms',
  'visit_ms',
  'rss',
  'heap',
  'cpu_ms',
  'lag_ms',
  'queue',
  'bytes_in',
  'bytes_out',
  'packets_in',
  'packets_out',
  'stalled',
] as const;

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** The crawl's summary columns (crawls table). */
export function crawlSummary(result: CrawlResult, analysis: RingAnalysis) {
  const reachable = analysis.nodes.filter((a) => a.reachable).length;
  return {
    visits: result.visits.length,
    discovered: analysis.nodes.length,
    reachable,
    unreachable: analysis.nodes.length - reachable,
    rings: analysis.rings,
    mainRingSize: analysis.mainRingSize,
    consistency: Number.isFinite(analysis.consistency) ? analysis.consistency : null,
    findingsTotal: analysis.findings.length,
    findings: JSON.stringify(countBy(analysis.findings.map((f) => f.kind))),
    errors: JSON.stringify(countBy(result.visits.flatMap((v) => (v.ok ? [] : [v.error])))),
  };
}
