/**
 * The repository the crawler, detectors and API use. createStore marks crawls left `running` by a
 * previous process as `aborted` (crash safety), then hands out the methods below.
 */
import type { Clock } from '../core/clock.js';
import { CRAWL_STATES, CRAWL_STRATEGIES } from '../core/model.js';
import type { CrawlResult, RingAnalysis } from '../core/model.js';
import type { Signal } from '../detect/types.js';
import type { Database } from './db.js';
import * as read from './read.js';
import * as readNode from './read-node.js';
import * as readNodes from './read-nodes.js';
import { listFindings } from './read-nodes-findings.js';
import { nodeSeries } from './read-nodes-series.js';
import * as readRollups from './read-rollups.js';
import { recordCrawl } from './record.js';
import { recordRelayRtts, relaysAt } from './relays.js';
import type { RelayRttWrites } from './relays.js';
import * as signals from './signals.js';
import type {
  BeginCrawl,
  CrawlDelta,
  CrawlRecord,
  FinishCrawl,
  HistoryOptions,
  KnownEndpoint,
  ListCrawlsOptions,
  ListFindingsOptions,
  ListNodesOptions,
  NodeDetail,
  NodeLatest,
  NodePage,
  NodeRollup,
  NodeSeries,
  Observation,
  RecordSignalsOptions,
  RecordSignalsResult,
  RelayReport,
  RingRollup,
  RollupQuery,
  SeriesOptions,
  SignalHistoryOptions,
  StoredFinding,
  StoredSignal,
  Topology,
  TopologyOptions,
} from './types.js';

/**
 * Contract:
 *  - Crawl lifecycle: beginCrawl() inserts a `running` crawl and returns its id; exactly one of
 *    recordCrawl() (with results) or finishCrawl() (without) ends it. Crawls are recorded in id order.
 *  - recordCrawl() is atomic: observations, topology intervals, facts, findings, node state and the
 *    crawl's summary commit together or not at all. It returns the change against the previously
 *    recorded crawl. An unchanged ring adds one observation row per node and nothing else.
 *    The crawl is taken as the whole truth: a node it did not observe is gone (its edges close), so
 *    record a partial (failed/aborted) crawl only if that is what it should mean; else finishCrawl().
 *  - transaction(fn) groups store calls into one transaction (recordCrawl inside it becomes a
 *    savepoint), e.g. recordCrawl + detector state updates, so detectors' streaks never drift from the
 *    crawls they were computed from.
 *  - recordSignals() and recordRelayRtts() belong inside the same transaction, after recordCrawl() and
 *    the detectors of that crawl: signals are stored as intervals (a newly active signal opens a row, its
 *    clear closes it, a signal returned active again writes nothing), relay RTTs as intervals that only
 *    change when a value moves beyond a tolerance, so an unchanged ring writes neither.
 *  - Derived node states (listNodes, nodeDetail): lost > stalled > persistent > the latest crawl's state
 *    (ok / inconsistent / unreachable), from the active node_lost, thread_stalled and
 *    persistent_inconsistency signals; `flags` lists every state that applies.
 *  - Node keys are node IDs (40 lowercase hex) or, for nodes never identified, their endpoint URL.
 *  - Reads never see a transaction's uncommitted writes unless called from inside it.
 */
export interface Store {
  /** Ids of crawls that were `running` at open and are now `aborted`. */
  readonly abortedOnOpen: number[];
  beginCrawl(crawl: BeginCrawl): Promise<number>;
  finishCrawl(crawlId: number, finish: FinishCrawl): Promise<void>;
  recordCrawl(crawlId: number, result: CrawlResult, analysis: RingAnalysis): Promise<CrawlDelta>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;

  /** The newest recorded crawl (one that has observations or rollups); null before the first. */
  latestCrawl(): Promise<CrawlRecord | null>;
  /** Crawls of any state, newest first (default 50). */
  listCrawls(options?: ListCrawlsOptions): Promise<CrawlRecord[]>;
  getCrawl(crawlId: number): Promise<CrawlRecord | null>;
  /** The exact ring of a recorded crawl whose raw data is retained, else null. */
  topologyAt(crawlId: number, options?: TopologyOptions): Promise<Topology | null>;
  /** A node's retained observations, oldest first; [] for an unknown key. */
  nodeHistory(key: string, options?: HistoryOptions): Promise<Observation[]>;
  nodeLatest(key: string): Promise<NodeLatest | null>;
  /** Findings open after the latest recorded crawl, oldest first. */
  openFindings(): Promise<StoredFinding[]>;
  /** A node's findings, open and closed, newest first (default 200). */
  findingsForNode(key: string, options?: { limit?: number }): Promise<StoredFinding[]>;
  /** Endpoints of every node of the latest recorded crawl, to seed the next crawl. */
  knownEndpoints(): Promise<KnownEndpoint[]>;
  /** Rollups written by retention (see retention.ts), oldest bucket first. */
  ringRollups(query: RollupQuery): Promise<RingRollup[]>;
  nodeRollups(key: string, query: RollupQuery): Promise<NodeRollup[]>;

  /** Persist the signals the detectors returned for crawl `crawlId` (see the contract above). */
  recordSignals(
    crawlId: number,
    signals: readonly Signal[],
    options?: RecordSignalsOptions,
  ): Promise<RecordSignalsResult>;
  /** Persist the RTTs of the crawl's relayed connections and the direct links around them. */
  recordRelayRtts(crawlId: number, result: Pick<CrawlResult, 'visits'>): Promise<RelayRttWrites>;
  /** Signals active after the latest crawl, oldest first. */
  activeSignals(): Promise<StoredSignal[]>;
  /** A node's signals, active and cleared, newest first (default 100). */
  signalsForNode(key: string, options?: { limit?: number }): Promise<StoredSignal[]>;
  /** Signals newest first by id (page with `before`), filtered by kind, node, activity, time. */
  signalHistory(options?: SignalHistoryOptions): Promise<StoredSignal[]>;
  /** Nodes of the latest recorded crawl plus lost nodes, with derived states, keyset-paged by key. */
  listNodes(options?: ListNodesOptions): Promise<NodePage>;
  /** One node with derived state, expected vs reported neighbours, findings and signals; null if unknown. */
  nodeDetail(key: string): Promise<NodeDetail | null>;
  /** A node's metric series (raw within the raw window, rollups before); null if unknown. */
  nodeSeries(key: string, options: SeriesOptions): Promise<NodeSeries | null>;
  /** Findings newest first by id (page with `before`); open only by default. */
  listFindings(options?: ListFindingsOptions): Promise<StoredFinding[]>;
  /** Relayed connections and relays ranked, of a crawl with raw data (default the latest); else null. */
  relaysAt(crawlId?: number): Promise<RelayReport | null>;
}

/** Options of createStore. */
export interface StoreOptions {
  /** Mark crawls left `running` as `aborted` (default true; false for read-only tools). */
  recoverInterrupted?: boolean;
}

export const INTERRUPTED_REASON = 'interrupted: the process ended while the crawl was running';

export async function createStore(db: Database, clock: Clock, options: StoreOptions = {}): Promise<Store> {
  const abortedOnOpen: number[] = [];
  if (options.recoverInterrupted !== false) {
    const now = clock.now();
    const rows = await db.all<{ id: number }>(
      `UPDATE crawls SET state = 'aborted', finished_at = ?1, duration_ms = max(0, ?1 - started_at),
         reason = coalesce(reason, ?2) WHERE state = 'running' RETURNING id`,
      [now, INTERRUPTED_REASON],
    );
    abortedOnOpen.push(...rows.map((r) => r.id).sort((a, b) => a - b));
  }

  return {
    abortedOnOpen,
    async beginCrawl({ strategy, seeds = [], startedAt }) {
      if (!CRAWL_STRATEGIES.includes(strategy)) throw new Error(`unknown crawl strategy ${String(strategy)}`);
      const r = await db.run(
        `INSERT INTO crawls (strategy, state, started_at, seeds) VALUES (?, 'running', ?, ?)`,
        [strategy, startedAt ?? clock.now(), JSON.stringify(seeds)],
      );
      return r.lastID;
    },
    async finishCrawl(crawlId, { state, finishedAt, reason }) {
      if (!CRAWL_STATES.includes(state) || (state as string) === 'running') {
        throw new Error(`finishCrawl: ${String(state)} is not a final state`);
      }
      const end = finishedAt ?? clock.now();
      const r = await db.run(
        `UPDATE crawls SET state = ?, finished_at = ?, duration_ms = max(0, ? - started_at), reason = ?
         WHERE id = ? AND state = 'running'`,
        [state, end, end, reason ?? null, crawlId],
      );
      if (r.changes === 0) throw new Error(`finishCrawl: crawl ${crawlId} does not exist or is not running`);
    },
    recordCrawl: (crawlId, result, analysis) => recordCrawl(db, crawlId, result, analysis),
    transaction: (fn) => db.transaction(fn),

    latestCrawl: () => read.latestCrawl(db),
    listCrawls: (o) => read.listCrawls(db, o),
    getCrawl: (id) => read.getCrawl(db, id),
    topologyAt: (id, o) => read.topologyAt(db, id, o),
    nodeHistory: (key, o) => readNode.nodeHistory(db, key, o),
    nodeLatest: (key) => readNode.nodeLatest(db, key),
    openFindings: () => readNode.openFindings(db),
    findingsForNode: (key, o) => readNode.findingsForNode(db, key, o?.limit),
    knownEndpoints: () => readNode.knownEndpoints(db),
    ringRollups: (q) => readRollups.ringRollups(db, q),
    nodeRollups: (key, q) => readRollups.nodeRollups(db, key, q),

    recordSignals: (crawlId, list, o) => signals.recordSignals(db, crawlId, list, o),
    recordRelayRtts: (crawlId, result) => recordRelayRtts(db, crawlId, result),
    activeSignals: () => signals.activeSignals(db),
    signalsForNode: (key, o) => signals.signalsForNode(db, key, o),
    signalHistory: (o) => signals.signalHistory(db, o),
    listNodes: (o) => readNodes.listNodes(db, o),
    nodeDetail: (key) => readNodes.nodeDetail(db, key),
    nodeSeries: (key, o) => nodeSeries(db, key, o),
    listFindings: (o) => listFindings(db, o),
    relaysAt: (id) => relaysAt(db, id),
  };
}
