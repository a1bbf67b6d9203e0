/**
 * One crawl through the whole pipeline: crawl → analyze → store → detect. The stages know nothing of each
 * other; this is the only place that calls them in order. Recording and detection share one transaction,
 * so detector streaks never drift from the crawls they describe, even across a crash.
 */
import type { Clock } from '../core/clock.js';
import type {
  CrawlProgress,
  CrawlResult,
  CrawlStrategy,
  FindingKind,
  RingAnalysis,
  VisitErrorKind,
} from '../core/model.js';
import { analyzeRing } from '../analyze/index.js';
import type { Crawler } from '../crawl/index.js';
import {
  runDetectors,
  type Detector,
  type DetectorConfig,
  type DetectorStateStore,
  type Signal,
  type TrendSource,
} from '../detect/index.js';
import type { CrawlDelta, FinishCrawl, Store } from '../store/index.js';

/** What one crawl produced, as the CLI prints it and the live layer sends it. */
export interface CrawlSummary {
  crawlId: number;
  strategy: CrawlStrategy;
  state: 'succeeded' | 'failed' | 'aborted';
  reason?: string;
  startedAt: number;
  durationMs: number;
  /** Distinct endpoints visited. */
  discovered: number;
  reachable: number;
  unreachable: number;
  rings: number;
  mainRingSize: number;
  consistency: number;
  findings: Partial<Record<FindingKind, number>>;
  errors: Partial<Record<VisitErrorKind, number>>;
  persistentInconsistent: string[];
  stalledThreads: { nodeId: string; thread: string }[];
  lost: string[];
  nonlinearLoss: boolean;
  ringSplit: boolean;
  duplicateIds: string[];
  growth: { nodeId: string; kind: 'memory_growth' | 'queue_growth'; perHour: number }[];
  /** Time spent per stage, ms. */
  timings: { crawl: number; analyze: number; persist: number };
}

/** Events of the pipeline (a closed union); the live layer forwards them. */
export type PipelineEvent =
  | { type: 'crawl_started'; crawlId: number; strategy: CrawlStrategy; startedAt: number }
  | { type: 'crawl_progress'; crawlId: number; progress: CrawlProgress }
  | { type: 'crawl_finished'; summary: CrawlSummary; delta: CrawlDelta | null; signals: Signal[] };

export interface CrawlPipelineDeps {
  clock: Clock;
  crawler: Crawler;
  store: Store;
  state: DetectorStateStore;
  trends: TrendSource;
  detectors: Detector[];
  detectorConfig: DetectorConfig;
  /** Current seed endpoints (configuration may change them). */
  seeds: () => string[];
  emit?: (event: PipelineEvent) => void;
}

/**
 * Contract: run() crawls once and always leaves the crawl row finished (succeeded, failed or aborted),
 * never `running`, unless the process dies; it rejects only on storage errors. When a storage error
 * (SQLITE_FULL, SQLITE_READONLY, …) stops recording, nothing of the crawl is kept, the crawl is marked
 * `failed` with the cause, and the error (its code and message from SQLite) is what run() rejects with;
 * if even marking it failed is refused, that is retried at the start of the next run(). Calls must not
 * overlap (the scheduler guarantees it); a second concurrent call rejects with code 'crawl_running'.
 */
export interface CrawlPipeline {
  run(opts?: { strategy?: CrawlStrategy; signal?: AbortSignal }): Promise<CrawlSummary>;
  running(): boolean;
}

export class CrawlRunningError extends Error {
  readonly code = 'crawl_running';
  constructor() {
    super('a crawl is already running');
  }
}

function count<K extends string>(keys: Iterable<K>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

export function summarize(
  crawlId: number,
  result: CrawlResult,
  analysis: RingAnalysis | null,
  signals: Signal[],
  timings: CrawlSummary['timings'],
): CrawlSummary {
  const active = signals.filter((s) => s.active);
  const ids = (kind: Signal['kind']) =>
    active.filter((s) => s.kind === kind && s.nodeId).map((s) => s.nodeId!);
  const reachable = result.visits.filter((v) => v.ok).length;
  return {
    crawlId,
    strategy: result.strategy,
    state: result.state,
    ...(result.reason ? { reason: result.reason } : {}),
    startedAt: result.startedAt,
    durationMs: result.finishedAt - result.startedAt,
    discovered: result.visits.length,
    reachable,
    unreachable: result.visits.length - reachable,
    rings: analysis?.rings ?? 0,
    mainRingSize: analysis?.mainRingSize ?? 0,
    consistency: analysis?.consistency ?? 0,
    findings: count((analysis?.findings ?? []).map((f) => f.kind)),
    errors: count(result.visits.flatMap((v) => (v.ok ? [] : [v.error]))),
    persistentInconsistent: ids('persistent_inconsistency'),
    stalledThreads: active
      .filter((s) => s.kind === 'thread_stalled' && s.nodeId && s.thread)
      .map((s) => ({ nodeId: s.nodeId!, thread: s.thread! })),
    lost: ids('node_lost'),
    nonlinearLoss: active.some((s) => s.kind === 'nonlinear_loss'),
    ringSplit: active.some((s) => s.kind === 'ring_split'),
    duplicateIds: ids('duplicate_id'),
    growth: active
      .filter(
        (s): s is Signal & { kind: 'memory_growth' | 'queue_growth' } =>
          s.kind === 'memory_growth' || s.kind === 'queue_growth',
      )
      .map((s) => ({ nodeId: s.nodeId ?? '', kind: s.kind, perHour: s.value ?? 0 })),
    timings,
  };
}

/** An error of SQLite itself (disk full, read-only, I/O), as opposed to a refused call. */
function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createCrawlPipeline(deps: CrawlPipelineDeps): CrawlPipeline {
  let busy = false;
  const emit = deps.emit ?? (() => {});
  // Crawl rows a storage error (disk full, read-only database) left `running`: finished as intended
  // before the next crawl begins, so they do not hold back retention until the next restart.
  const unfinished = new Map<number, FinishCrawl>();

  async function finish(crawlId: number, f: FinishCrawl): Promise<void> {
    try {
      await deps.store.finishCrawl(crawlId, f);
      unfinished.delete(crawlId);
    } catch (err) {
      if (isStorageError(err)) unfinished.set(crawlId, f);
      else unfinished.delete(crawlId);
      throw err;
    }
  }

  async function runOnce(strategy: CrawlStrategy, signal: AbortSignal | undefined): Promise<CrawlSummary> {
    for (const [id, f] of [...unfinished]) await finish(id, f).catch(() => undefined);
    const seeds = deps.seeds();
    const startedAt = deps.clock.now();
    const crawlId = await deps.store.beginCrawl({ strategy, seeds, startedAt });
    emit({ type: 'crawl_started', crawlId, strategy, startedAt });
    let result: CrawlResult;
    try {
      const known = (await deps.store.knownEndpoints()).flatMap((k) =>
        k.nodeId ? [{ endpoint: k.endpoint, nodeId: k.nodeId }] : [],
      );
      result = await deps.crawler.crawl({
        seeds,
        known,
        strategy,
        ...(signal ? { signal } : {}),
        onProgress: (progress) => emit({ type: 'crawl_progress', crawlId, progress }),
      });
    } catch (err) {
      await finish(crawlId, { state: 'failed', reason: message(err), finishedAt: deps.clock.now() });
      throw err;
    }
    const crawlMs = deps.clock.now() - startedAt;

    if (result.state !== 'succeeded') {
      await finish(crawlId, {
        state: result.state,
        finishedAt: result.finishedAt,
        ...(result.reason ? { reason: result.reason } : {}),
      });
      const summary = summarize(crawlId, result, null, [], { crawl: crawlMs, analyze: 0, persist: 0 });
      emit({ type: 'crawl_finished', summary, delta: null, signals: [] });
      return summary;
    }

    const t1 = deps.clock.now();
    const analysis = analyzeRing(result.visits);
    const t2 = deps.clock.now();
    const recording = deps.store.transaction(async () => {
      const d = await deps.store.recordCrawl(crawlId, result, analysis);
      const s = await runDetectors(
        {
          crawlId,
          now: result.startedAt,
          result,
          analysis,
          state: deps.state,
          trends: deps.trends,
          config: deps.detectorConfig,
        },
        deps.detectors,
      );
      await deps.store.recordSignals(crawlId, s, { detectors: deps.detectors.map((x) => x.name) });
      await deps.store.recordRelayRtts(crawlId, result);
      return { delta: d, signals: s };
    });
    const { delta, signals } = await recording.catch(async (err: unknown) => {
      // Nothing of the crawl was recorded (the transaction rolled back): mark it failed with the cause if
      // the database takes even that, and surface the storage error to the caller.
      const reason = `storage error while recording: ${message(err)}`;
      await finish(crawlId, { state: 'failed', reason, finishedAt: deps.clock.now() }).catch(() => undefined);
      throw err;
    });
    const t3 = deps.clock.now();
    const summary = summarize(crawlId, result, analysis, signals, {
      crawl: crawlMs,
      analyze: t2 - t1,
      persist: t3 - t2,
    });
    emit({ type: 'crawl_finished', summary, delta, signals });
    return summary;
  }

  return {
    running: () => busy,
    async run(opts = {}) {
      if (busy) throw new CrawlRunningError();
      busy = true;
      try {
        return await runOnce(opts.strategy ?? 'parallel', opts.signal);
      } finally {
        busy = false;
      }
    },
  };
}
