/**
 * The shapes the store hands out. Node keys: a node is named by its node ID (40 hex) or, when it was
 * never identified, by its endpoint URL; `key` is that name and `nodeId` is null for the latter.
 */
import type { ConnectionKind } from '../../node-agent/schema.js';
import type { DetectorName, SignalKind } from '../detect/types.js';
import type {
  CrawlNodeState,
  CrawlState,
  CrawlStrategy,
  FindingKind,
  NeighborSlot,
  NodeHealth,
  SlotMap,
  VisitErrorKind,
} from '../core/model.js';

/** none: nothing recorded; raw: observations and topology kept; pruned: raw rows deleted, rollups only. */
export type CrawlData = 'none' | 'raw' | 'pruned';

/** A crawl as stored: lifecycle fields always, summary counts once recorded. */
export interface CrawlRecord {
  id: number;
  strategy: CrawlStrategy;
  state: CrawlState;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  seeds: string[];
  data: CrawlData;
  /** The counts below are null until the crawl is recorded. */
  visits: number | null;
  discovered: number | null;
  reachable: number | null;
  unreachable: number | null;
  rings: number | null;
  mainRingSize: number | null;
  consistency: number | null;
  findingsTotal: number | null;
  findings: Partial<Record<FindingKind, number>>;
  errors: Partial<Record<VisitErrorKind, number>>;
  reason: string | null;
}

/** Input of beginCrawl. startedAt must not be earlier than earlier crawls (ids follow time). */
export interface BeginCrawl {
  strategy: CrawlStrategy;
  seeds?: string[];
  /** Defaults to the clock's now(). */
  startedAt?: number;
}

/** Input of finishCrawl, for crawls that end without results to record. */
export interface FinishCrawl {
  state: Exclude<CrawlState, 'running'>;
  /** Defaults to the clock's now(). */
  finishedAt?: number;
  reason?: string;
}

/** Paging of listCrawls: newest first, ids below `before`. */
export interface ListCrawlsOptions {
  /** Default 50, at most 1000. */
  limit?: number;
  /** Only crawls with an id below this. */
  before?: number;
}

/** A ring slot (the neighbour a node reports there) or a connection kind. */
export type EdgeKind = NeighborSlot | ConnectionKind;

/** A node as one crawl saw it; endpoint is the one it was visited at in that crawl. */
export interface TopologyNode {
  key: string;
  nodeId: string | null;
  endpoint: string | null;
  state: CrawlNodeState;
  score: number | null;
  ring: number | null;
}

/** A directed edge as `from` reported it. `via` only on relay connections. */
export interface TopologyEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  via?: string;
}

/** What topologyAt returns; connections default to included. */
export interface TopologyOptions {
  connections?: boolean;
}

/** The ring of one crawl: every observed node and every edge reported by a reachable node. */
export interface Topology {
  crawl: CrawlRecord;
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

/** A finding interval: open (toCrawl null) while the analysis keeps reporting it. */
export interface StoredFinding {
  id: number;
  kind: FindingKind;
  /** Key of the node the finding is about. */
  nodeId: string;
  slot?: NeighborSlot;
  reported?: string;
  expected?: string;
  detail: string;
  /** First crawl it was seen in, and the crawl it was first absent from (null: still open). */
  fromCrawl: number;
  toCrawl: number | null;
  /** Start time of fromCrawl. */
  since: number;
}

/** What one recordCrawl changed compared with the previously recorded crawl. */
export interface CrawlDelta {
  crawlId: number;
  previousCrawlId: number | null;
  nodesAdded: TopologyNode[];
  nodesRemoved: string[];
  nodesChanged: { key: string; from: CrawlNodeState; to: CrawlNodeState }[];
  edgesAdded: TopologyEdge[];
  edgesRemoved: TopologyEdge[];
  findingsOpened: StoredFinding[];
  findingsClosed: StoredFinding[];
}

/** One node in one crawl. Process and traffic numbers are null when the node was not reachable. */
export interface Observation {
  crawlId: number;
  /** Start of the visit (crawl start + offset). */
  at: number;
  state: CrawlNodeState;
  score: number | null;
  checks: SlotMap<boolean>;
  ring: number | null;
  error: VisitErrorKind | null;
  httpStatus: number | null;
  attempts: number;
  visitMs: number;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  cpuSeconds: number | null;
  eventLoopLagMs: number | null;
  queueDepth: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  packetsIn: number | null;
  packetsOut: number | null;
  /** Bit i set: thread i (in the node's thread list) was stalled. */
  stalledMask: number;
}

/** Window of nodeHistory. */
export interface HistoryOptions {
  /** Only observations of crawls started at or after this time. */
  sinceMs?: number;
  /** Newest N (default 1440, at most 100000); returned oldest first. */
  limit?: number;
}

/** Everything current about a node: identity, presence, facts, reported neighbours, last observation. */
export interface NodeLatest {
  key: string;
  nodeId: string | null;
  endpoint: string | null;
  /** Seen in the latest recorded crawl. */
  present: boolean;
  state: CrawlNodeState | null;
  firstCrawl: number | null;
  lastSeenCrawl: number | null;
  version: string | null;
  startedAt: number | null;
  threads: string[];
  stalledThreads: string[];
  /** Reported neighbours (empty when the node was not reachable in its last crawl). */
  slots: SlotMap<string>;
  connections: { peer: string; kind: ConnectionKind; via?: string }[];
  lastError: { kind: VisitErrorKind; detail: string; httpStatus?: number } | null;
  /** Its observation in lastSeenCrawl, if still retained. */
  observation: Observation | null;
}

/** An endpoint to start the next crawl from; nodeId null when the endpoint never answered. */
export interface KnownEndpoint {
  endpoint: string;
  nodeId: string | null;
  reachable: boolean;
}

export type RollupResolution = '5m' | '1h';
export const RESOLUTION_MS: Record<RollupResolution, number> = { '5m': 300_000, '1h': 3_600_000 };

/** Which rollups to read: resolution and [sinceMs, untilMs) on bucket start. */
export interface RollupQuery {
  resolution: RollupResolution;
  sinceMs?: number;
  untilMs?: number;
}

/** Ring-level summary of one bucket; averages are over recorded crawls (null when none). */
export interface RingRollup {
  bucket: number;
  crawls: number;
  recorded: number;
  failed: number;
  nodesAvg: number | null;
  nodesMin: number | null;
  nodesMax: number | null;
  reachableAvg: number | null;
  reachableMin: number | null;
  reachableMax: number | null;
  consistencyAvg: number | null;
  consistencyMin: number | null;
  findingsAvg: number | null;
  findingsMax: number | null;
  ringsMax: number | null;
}

/** Per-node summary of one bucket; rates come from consecutive observations within it. */
export interface NodeRollup {
  bucket: number;
  samples: number;
  unreachable: number;
  inconsistent: number;
  rssAvg: number | null;
  rssMax: number | null;
  heapMax: number | null;
  queueAvg: number | null;
  queueMax: number | null;
  lagMaxMs: number | null;
  /** CPU seconds per second (1 = one core busy). */
  cpuRate: number | null;
  /** Bytes per second. */
  bytesInRate: number | null;
  bytesOutRate: number | null;
}

// ---------------------------------------------------------------------------------------------------
// Detector signals, derived node states, node series and relays (signals.ts, read-nodes*.ts, relays.ts)

/** A detector signal as stored: an interval of crawls, active (toCrawl null) until its clear. */
export interface StoredSignal {
  id: number;
  kind: SignalKind;
  detector: DetectorName;
  /** Key of the node it is about (a node ID); null for ring-wide signals. */
  nodeId: string | null;
  /** thread_stalled only. */
  thread: string | null;
  active: boolean;
  /** The crawl that raised it, and the crawl that cleared it (null while active). */
  fromCrawl: number;
  toCrawl: number | null;
  /** Epoch ms the condition began (Signal.since). */
  since: number;
  /** The signal's measure when it was raised (unit depends on the kind). */
  value: number | null;
  /** The explanation given when it was raised. */
  detail: string;
}

/** Options of recordSignals. */
export interface RecordSignalsOptions {
  /**
   * The detectors that ran for this crawl. Their returned active signals are their complete firing set,
   * so an open signal of one of them that was neither returned active nor cleared is closed too (e.g.
   * detector state was reset). Signals of detectors not listed are only closed by their clears.
   */
  detectors?: readonly DetectorName[];
}

/** What recordSignals wrote. */
export interface RecordSignalsResult {
  opened: number;
  closed: number;
}

/** Filter and page of signalHistory: newest first (by id), ids below `before`. */
export interface SignalHistoryOptions {
  kind?: SignalKind;
  /** Node key (node ID or endpoint key). */
  node?: string;
  /** Only active (true) or only cleared (false) signals. */
  active?: boolean;
  /** Only signals that still held at or after this time (active, or cleared by a later crawl). */
  sinceMs?: number;
  /** Default 100, at most 1000. */
  limit?: number;
  before?: number;
}

/** A node with the states that apply to it now (see listNodes). */
export interface NodeSummary {
  key: string;
  nodeId: string | null;
  /** The endpoint it was last visited at. */
  endpoint: string | null;
  /** The first of lost > stalled > persistent > the latest crawl's state that applies. */
  state: NodeHealth;
  /** Every state that applies, in NODE_STATES order (always includes `state`). */
  flags: NodeHealth[];
  /** Score in its latest observation (null when unreachable or not retained). */
  score: number | null;
  ring: number | null;
  lastSeenCrawl: number | null;
  /** Threads with an active thread_stalled signal. */
  stalledThreads: string[];
}

/** Filter and page of listNodes. */
export interface ListNodesOptions {
  /** Nodes whose state or flags include this. */
  state?: NodeHealth;
  /** Hex prefix of the node ID (case-insensitive); nodes without an ID never match. */
  prefix?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  /** The last key of the previous page. */
  cursor?: string;
}

export interface NodePage {
  items: NodeSummary[];
  /** The key to pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Everything about one node for its detail page: NodeLatest with `state` replaced by the derived state
 * (the crawl's own is `crawlState`), the neighbours the true ring order expects, and its recent history.
 */
export interface NodeDetail extends Omit<NodeLatest, 'state'> {
  state: NodeHealth;
  /** Its state in the last crawl it was seen in (null: never observed). */
  crawlState: CrawlNodeState | null;
  flags: NodeHealth[];
  /** L1, L2 (predecessors) and R1, R2 (successors) by node ID among the nodes reachable in the latest crawl. */
  expected: SlotMap<string>;
  /**
   * Per slot, true when the reported neighbour differs from the expected one (either may be missing).
   * Empty when the node was not reachable in the latest crawl (it reported nothing).
   */
  mismatch: SlotMap<boolean>;
  /** All open findings (oldest first) and the 20 most recently opened closed ones. */
  findings: { open: StoredFinding[]; recent: StoredFinding[] };
  /** All active signals (oldest first) and the 20 newest cleared ones. */
  signals: { active: StoredSignal[]; recent: StoredSignal[] };
}

/** The metrics of nodeSeries. Rates are per second; cpu is CPU seconds per second. */
export const SERIES_METRICS = [
  'rss',
  'heapUsed',
  'cpu',
  'bytesInRate',
  'bytesOutRate',
  'packetsInRate',
  'packetsOutRate',
  'queueDepth',
  'eventLoopLag',
  'score',
] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];

/** One point: a raw sample (min = avg = max), a rollup bucket or a downsampled bucket (t = its start). */
export interface SeriesPoint {
  t: number;
  min: number | null;
  avg: number | null;
  max: number | null;
}

export interface SeriesOptions {
  sinceMs: number;
  /** Default: the clock's now. */
  untilMs?: number;
  /** Downsample (min/avg/max per bucket) when a metric has more points (default 500, at most 10000). */
  maxPoints?: number;
}

export interface NodeSeries {
  key: string;
  sinceMs: number;
  untilMs: number;
  /** Width of the downsampling buckets; null when the points are not downsampled. */
  bucketMs: number | null;
  /** Typical time between the node's raw samples (null with fewer than two). */
  sampleIntervalMs: number | null;
  /** Where each part of [sinceMs, untilMs) came from. */
  sources: { source: 'raw' | RollupResolution; fromMs: number; untilMs: number }[];
  series: Record<SeriesMetric, SeriesPoint[]>;
}

/** A relayed connection as `from` reported it, with RTTs in ms where known. */
export interface RelayEdge {
  from: string;
  to: string;
  via: string;
  /** RTT of the relayed connection as `from` reported it. */
  rttMs: number | null;
  /** RTT of a direct connection between the two ends (reported by either), if one exists. */
  directRttMs: number | null;
  /** RTT of the direct legs from → via plus via → to, when both are known. */
  legsRttMs: number | null;
}

/** One relay node, ranked by the connections it relays. */
export interface RelayRank {
  via: string;
  /** Distinct node pairs relayed. */
  connections: number;
  /** Distinct nodes using it. */
  nodes: number;
  avgRttMs: number | null;
  avgLegsRttMs: number | null;
  avgDirectRttMs: number | null;
}

/** Relays of one crawl. */
export interface RelayReport {
  crawlId: number;
  startedAt: number;
  /** Ordered by from, to. */
  edges: RelayEdge[];
  /** Most relayed connections first (then via). */
  relays: RelayRank[];
  /** Distinct relayed node pairs, and nodes with at least one relayed connection. */
  relayedConnections: number;
  relayedNodes: number;
}

/** Filter and page of listFindings: newest first (by id), ids below `before`. */
export interface ListFindingsOptions {
  /** open (default): findings open after the latest recorded crawl; all: open and closed. */
  status?: 'open' | 'all';
  kind?: FindingKind;
  /** Node key (node ID or endpoint key). */
  node?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  before?: number;
}
