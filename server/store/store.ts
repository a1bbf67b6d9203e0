/**
 * The repository the crawler, detectors and API use. createStore marks crawls left `running` by a
 * previous process as `aborted` (crash safety), then hands out the methods below.
 */
import type { Clock } from '../core/clock.js';
import { CRAWL_STATES, CRAWL_STRATEGIES } from '../core/model.js';
import type { CrawlResult, RingAnalysis } from '../core/model.js';
import type { Database } from './db.js';
import * as read from './read.js';
import * as readNode from './read-node.js';
import * as readRollups from './read-rollups.js';
import { recordCrawl } from './record.js';
import type {
  BeginCrawl,
  CrawlDelta,
  CrawlRecord,
  FinishCrawl,
  HistoryOptions,
  KnownEndpoint,
  ListCrawlsOptions,
  NodeLatest,
  NodeRollup,
  Observation,
  RingRollup,
  RollupQuery,
  StoredFinding,
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
 *  - Node keys are node IDs (40 hex) or, for nodes never identified, their endpoint URL.
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
  };
}
