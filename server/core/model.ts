/**
 * The records that flow through the pipeline crawl → analyze → store → detect. Plain data with closed
 * unions, so every stage can be tested on its own and every case is visible to the type checker.
 */
import type { Status } from '../../node-agent/schema.js';

/** Why a visit failed. A closed vocabulary: every failed visit is exactly one of these. */
export const VISIT_ERROR_KINDS = [
  'timeout', // no complete answer within the per-request timeout (incl. headers that never come)
  'refused', // ECONNREFUSED: nothing listens there (node down)
  'reset', // connection reset / closed before a complete answer
  'unreachable', // EHOSTUNREACH / ENETUNREACH / DNS failure
  'http_status', // an HTTP status other than 200
  'bad_json', // 200 but the body is not JSON (or wrong content type)
  'schema', // JSON that does not match the status schema v1
  'too_large', // body over the size cap
  'id_mismatch', // answered with a node ID other than the one this endpoint is known by
  'not_allowed', // the endpoint is outside the configured allow-list: not contacted
  'redirect', // a 3xx answer: redirects are never followed
  'tls', // TLS handshake or certificate failure
  'protocol', // malformed HTTP or any other transport error
] as const;
export type VisitErrorKind = (typeof VISIT_ERROR_KINDS)[number];

interface VisitBase {
  /** Base URL visited (normalised, no trailing slash). */
  endpoint: string;
  /** The node ID this endpoint was expected to answer with (from referrers or the previous crawl). */
  expectedId?: string;
  startedAt: number;
  durationMs: number;
  /** Connections tried: 1 + retries; 0 when the endpoint was not contacted (not_allowed). */
  attempts: number;
}

/** One visit of one endpoint in one crawl: success, or a classified failure. */
export type Visit =
  | (VisitBase & { ok: true; status: Status })
  | (VisitBase & {
      ok: false;
      error: VisitErrorKind;
      /** Short human-readable detail, safe to show (no secrets, bounded length). */
      detail: string;
      httpStatus?: number;
      /** For id_mismatch: the (valid) status the node did answer with. */
      status?: Status;
    });

export const CRAWL_STATES = ['running', 'succeeded', 'failed', 'aborted'] as const;
export type CrawlState = (typeof CRAWL_STATES)[number];

export const CRAWL_STRATEGIES = ['parallel', 'ring-walk'] as const;
export type CrawlStrategy = (typeof CRAWL_STRATEGIES)[number];

/** Where a crawl's visits run: a worker thread (keeps the server's event loop free) or the main thread. */
export const CRAWL_THREADS = ['worker', 'main'] as const;
export type CrawlThreadMode = (typeof CRAWL_THREADS)[number];

export interface CrawlProgress {
  visited: number;
  queued: number;
  inFlight: number;
  ok: number;
  failed: number;
}

export interface CrawlResult {
  strategy: CrawlStrategy;
  state: Exclude<CrawlState, 'running'>;
  startedAt: number;
  finishedAt: number;
  seeds: string[];
  visits: Visit[];
  /**
   * Endpoints that answered as a node already visited in this crawl (same node ID and same
   * self-reported endpoint): the same node reached by another URL, not counted twice (not in `visits`).
   */
  aliases?: { endpoint: string; nodeId: string }[];
  /** Why the crawl failed or was aborted. */
  reason?: string;
}

export const NEIGHBOR_SLOTS = ['L1', 'L2', 'R1', 'R2'] as const;
export type NeighborSlot = (typeof NEIGHBOR_SLOTS)[number];

export const FINDING_KINDS = [
  'asymmetric', // X.R1 = Y but Y.L1 ≠ X (and the mirrored checks for L1, L2, R2)
  'wrong_neighbor', // a closer live node exists than the one reported in this slot
  'dead_neighbor', // the slot points at a node that could not be reached
  'missing_neighbor', // the slot is empty though the ring is large enough to fill it
  'duplicate_id', // two distinct nodes answer with the same node ID
  'id_mismatch', // an endpoint answered with an ID other than its known identity
  'off_ring', // reachable, but not on the main ring (following R1 pointers)
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  nodeId: string;
  /**
   * The endpoint of the node the finding is about: its self endpoint when reachable, the visited endpoint
   * otherwise. Tells apart the nodes behind one ID (duplicate_id) and names the endpoint of an id_mismatch.
   */
  endpoint?: string;
  slot?: NeighborSlot;
  /** The ID the node reports in `slot`. */
  reported?: string;
  /** The ID the true ring order of live nodes puts in `slot`, or the ID the other side names. */
  expected?: string;
  detail: string;
}

/** Per-crawl health of one node as judged from this crawl alone; detectors add history-based states. */
export const CRAWL_NODE_STATES = ['ok', 'inconsistent', 'unreachable'] as const;
export type CrawlNodeState = (typeof CRAWL_NODE_STATES)[number];

/** Over time, what the dashboard and API show: the crawl state refined by detectors. */
export const NODE_STATES = ['ok', 'inconsistent', 'persistent', 'stalled', 'unreachable', 'lost'] as const;
export type NodeHealth = (typeof NODE_STATES)[number];

export type SlotMap<T> = Partial<Record<NeighborSlot, T>>;

export interface NodeAssessment {
  nodeId: string;
  endpoint: string;
  reachable: boolean;
  state: CrawlNodeState;
  /** Brunet's measure: mirror checks satisfied / 4; null when unreachable. */
  score: number | null;
  /** Result of each mirror check (true = congruent); a slot without data is absent. */
  checks: SlotMap<boolean>;
  reported: SlotMap<string>;
  /** True ring order of the live nodes found in this crawl. */
  expected: SlotMap<string>;
  /** Index of the ring (by R1 pointers) this node sits on; 0 = the main (largest) ring. */
  ring?: number;
}

export interface RingAnalysis {
  nodes: NodeAssessment[];
  findings: Finding[];
  /** Mean score over reachable nodes (0..1); 1 for an empty ring. */
  consistency: number;
  /** Number of distinct rings reached by following R1 pointers (a partition shows as ≥ 2). */
  rings: number;
  mainRingSize: number;
  offRing: string[];
  duplicateIds: string[];
}
