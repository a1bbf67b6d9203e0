/**
 * The shapes the store hands out. Node keys: a node is named by its node ID (40 hex) or, when it was
 * never identified, by its endpoint URL; `key` is that name and `nodeId` is null for the latter.
 */
import type { ConnectionKind } from '../../node-agent/schema.js';
import type {
  CrawlNodeState,
  CrawlState,
  CrawlStrategy,
  FindingKind,
  NeighborSlot,
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
