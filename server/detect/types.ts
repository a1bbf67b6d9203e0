/**
 * Detectors turn crawl history into signals an operator can act on. This file holds the closed
 * vocabularies and the interfaces the rest of the server implements (state store, trend source).
 *
 * Signal contract (edge-trigger friendly): every `Detector.run` returns
 *  - one `active: true` signal for every condition that holds after this crawl, whether it was raised
 *    in this crawl or earlier (same `since` every time), so the alert layer can take the returned active
 *    set as the complete firing set of that detector; and
 *  - one `active: false` signal for every condition that held before this crawl and ended in it
 *    (exactly once: the next crawl neither returns it active nor clears it again).
 * A signal's identity is (kind, nodeId, thread) — see `signalKey`. Nothing else is returned: a
 * condition building up (a streak below its threshold) produces no signal.
 */
import type { CrawlResult, RingAnalysis } from '../core/model.js';
import type { DetectorConfig } from './config.js';

/** The detectors, in the order `runDetectors` runs them. Each owns its state namespace. */
export const DETECTOR_NAMES = [
  'persistent_inconsistency', // a node inconsistent in K consecutive crawls (vs churn)
  'thread_stalled', // a worker thread stalled in M consecutive crawls
  'node_loss', // node_lost per node + nonlinear_loss for the ring
  'resource_growth', // memory_growth and queue_growth from per-node trends
  'ring_structure', // ring_split and duplicate_id
] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** What a signal says. Closed: every signal is exactly one of these. */
export const SIGNAL_KINDS = [
  'persistent_inconsistency',
  'thread_stalled',
  'node_lost',
  'nonlinear_loss',
  'memory_growth',
  'queue_growth',
  'ring_split',
  'duplicate_id',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** The detector that produces each kind of signal. */
export const SIGNAL_DETECTOR: Readonly<Record<SignalKind, DetectorName>> = {
  persistent_inconsistency: 'persistent_inconsistency',
  thread_stalled: 'thread_stalled',
  node_lost: 'node_loss',
  nonlinear_loss: 'node_loss',
  memory_growth: 'resource_growth',
  queue_growth: 'resource_growth',
  ring_split: 'ring_structure',
  duplicate_id: 'ring_structure',
};

export interface Signal {
  detector: DetectorName;
  kind: SignalKind;
  /** The node the signal is about; absent for ring-wide signals (nonlinear_loss, ring_split). */
  nodeId?: string;
  /** The worker thread (thread_stalled only). */
  thread?: string;
  /** true: the condition holds after this crawl; false: it held before and ended in this crawl. */
  active: boolean;
  /**
   * Epoch ms the condition began: for streak signals the `now` of the first crawl of the streak (so a
   * persistent inconsistency raised at the 3rd crawl has the 1st crawl's time); for window signals the
   * crawl at which it was first raised. Unchanged for as long as the signal stays active, and carried
   * on its clear.
   */
  since: number;
  /** The signal's measure; the unit depends on the kind (see each detector). */
  value?: number;
  /** Short, operator-readable explanation. */
  detail: string;
}

/** Identity of a signal across crawls: `kind nodeId thread` (empty parts for ring-wide signals). */
export function signalKey(s: Pick<Signal, 'kind' | 'nodeId' | 'thread'>): string {
  return `${s.kind} ${s.nodeId ?? ''} ${s.thread ?? ''}`;
}

// ---------------------------------------------------------------------------------------------------
// State

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * The key under which a detector keeps ring-wide state (not about one node). Every other key a
 * detector uses is a node key: the node ID (40 lowercase hex) of the node the state is about.
 */
export const RING_KEY = '~ring';

/**
 * Where detectors keep what they must remember from crawl to crawl (streaks, loss windows, active
 * signals). Contract, for every implementation (test/detect/state-store-contract.ts checks it):
 *  - A namespace per detector: keys of one detector never see another's.
 *  - Keys are strings: node IDs, or RING_KEY for ring-wide state (implementations must accept any
 *    string up to 512 characters; they must not treat keys as foreign keys to existing nodes).
 *  - Values are JSON objects (top-level null is not a value: `delete` removes). Stored as JSON: what
 *    `get`/`entries` return is a deep copy equal to JSON.parse(JSON.stringify(value)) — properties
 *    whose value is undefined vanish, later mutation of either side does not affect the other.
 *  - `get` of a missing key resolves undefined; `delete` of a missing key is a no-op; `set` overwrites.
 *  - `entries(detector)` resolves a snapshot Map key → value of that namespace (any order).
 *  - A write is visible to the next read through the same store; durable across process restarts
 *    once the surrounding crawl transaction commits (the SQLite store runs detectors inside the
 *    transaction that records the crawl, so state never drifts from the crawls it was computed from;
 *    a rolled back crawl rolls its detector state back too).
 * Detectors call `entries` once per crawl and then write only the keys whose state changed, so a
 * healthy ring costs a read per detector and (almost) no writes.
 */
export interface DetectorStateStore {
  get(detector: DetectorName, key: string): Promise<JsonObject | undefined>;
  set(detector: DetectorName, key: string, value: JsonObject): Promise<void>;
  delete(detector: DetectorName, key: string): Promise<void>;
  entries(detector: DetectorName): Promise<Map<string, JsonObject>>;
}

// ---------------------------------------------------------------------------------------------------
// Trends

/** Regression sums of one series x(t) over a window. */
export interface SeriesSums {
  sumX: number;
  sumX2: number;
  sumTX: number;
}

/**
 * One node's samples over a window, as sums for a least-squares line x = a + b·t. Time `t` is in
 * HOURS since any origin at or before the window (the store uses `sinceMs`): slopes then come out
 * per hour, and the small t keeps the sums precise (epoch milliseconds squared would not be).
 * Only samples that carry process metrics (reachable visits) count; rss and queue share the samples.
 */
export interface TrendStats {
  /** Number of samples. */
  n: number;
  sumT: number;
  sumT2: number;
  /** Epoch ms of the first and the last sample. */
  firstT: number;
  lastT: number;
  /** Resident set size, bytes. */
  rss: SeriesSums;
  /** Message queue depth, messages. */
  queue: SeriesSums;
}

/**
 * Per-node trend sums over the samples at or after `sinceMs` (by observation time), keyed by node ID.
 * Nodes without samples in the window are absent. The store answers with one SQL aggregate.
 */
export interface TrendSource {
  trends(sinceMs: number): Promise<Map<string, TrendStats>>;
}

// ---------------------------------------------------------------------------------------------------
// Detectors

export interface DetectorContext {
  /** Id of the crawl being judged; detectors must run once per crawl, in crawl order. */
  crawlId: number;
  /** Epoch ms the crawl is judged at (the recorder's clock; e.g. the crawl's start). */
  now: number;
  result: CrawlResult;
  analysis: RingAnalysis;
  state: DetectorStateStore;
  trends: TrendSource;
  /** Thresholds (parsed; see config.ts). Detectors read them at run time. */
  config: DetectorConfig;
}

export interface Detector {
  readonly name: DetectorName;
  /** Judges one crawl: returns the active signals and the clears of this crawl (see the top of this file). */
  run(ctx: DetectorContext): Promise<Signal[]>;
}
