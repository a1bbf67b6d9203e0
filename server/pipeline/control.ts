/**
 * Crawl control: the one owner of "is a crawl running, how far is it, start one now, stop for shutdown".
 * The scheduler and the API both start crawls through it, so they can never overlap; the live layer and
 * the API read progress from it. It observes the pipeline's events (wire `observe` into the emitter).
 */
import type { CrawlProgress, CrawlStrategy } from '../core/model.js';
import { ApiError } from '../http/errors.js';
import type { CrawlPipeline, CrawlSummary, PipelineEvent } from './crawl-pipeline.js';

export interface RunningCrawl extends CrawlProgress {
  crawlId: number;
  strategy: CrawlStrategy;
  startedAt: number;
}

/**
 * Contract:
 *  - run() is what the scheduler calls: one crawl, resolved with its summary; rejects with code
 *    'crawl_running' if one is running.
 *  - trigger() starts a crawl in the background and resolves with its id as soon as it has one; it
 *    rejects ApiError('crawl_running') while a crawl runs and ApiError('unavailable') after stop().
 *    A background crawl's failure goes to onError, never unhandled.
 *  - progress() is the running crawl (updated by observe), or null.
 *  - stop(graceMs) refuses new crawls, waits up to graceMs for a running one, then aborts it (the
 *    pipeline records it `aborted`) and waits for it to settle.
 */
export interface CrawlControl {
  observe(event: PipelineEvent): void;
  run(strategy?: CrawlStrategy): Promise<CrawlSummary>;
  trigger(strategy: CrawlStrategy, actor: string): Promise<number>;
  progress(): RunningCrawl | null;
  lastSummary(): CrawlSummary | null;
  stop(graceMs: number): Promise<void>;
}

export interface CrawlControlDeps {
  pipeline: CrawlPipeline;
  onError(err: unknown): void;
  /** Told of every crawl started by hand (for the audit log). */
  onTrigger?(actor: string, crawlId: number, strategy: CrawlStrategy): void;
}

export function createCrawlControl(deps: CrawlControlDeps): CrawlControl {
  let running: RunningCrawl | null = null;
  let last: CrawlSummary | null = null;
  let current: Promise<unknown> | null = null;
  let abort: AbortController | null = null;
  let stopped = false;
  const startWaiters: ((crawlId: number) => void)[] = [];

  function start(strategy: CrawlStrategy): Promise<CrawlSummary> {
    if (stopped) return Promise.reject(new ApiError('unavailable', 'shutting down'));
    if (deps.pipeline.running())
      return Promise.reject(new ApiError('crawl_running', 'a crawl is already running'));
    abort = new AbortController();
    const p = deps.pipeline.run({ strategy, signal: abort.signal });
    current = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  return {
    observe(e) {
      if (e.type === 'crawl_started') {
        running = {
          crawlId: e.crawlId,
          strategy: e.strategy,
          startedAt: e.startedAt,
          visited: 0,
          queued: 0,
          inFlight: 0,
          ok: 0,
          failed: 0,
        };
        for (const w of startWaiters.splice(0)) w(e.crawlId);
      } else if (e.type === 'crawl_progress') {
        if (running && running.crawlId === e.crawlId) running = { ...running, ...e.progress };
      } else {
        running = null;
        last = e.summary;
      }
    },
    run: (strategy = 'parallel') => start(strategy),
    async trigger(strategy, actor) {
      const begun = new Promise<number>((resolve) => startWaiters.push(resolve));
      const p = start(strategy);
      const crawlId = await Promise.race([begun, p.then((s) => s.crawlId)]);
      p.catch((err: unknown) => deps.onError(err));
      deps.onTrigger?.(actor, crawlId, strategy);
      return crawlId;
    },
    progress: () => running,
    lastSummary: () => last,
    async stop(graceMs) {
      stopped = true;
      if (!current) return;
      const settled = current;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      if ((await Promise.race([settled.then(() => 'done' as const), late])) === 'late') abort?.abort();
      clearTimeout(timer);
      await settled;
    },
  };
}
