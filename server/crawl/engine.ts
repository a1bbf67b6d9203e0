/**
 * The generic crawl engine (Nebula-style): a FIFO queue of targets, a bounded pool of concurrent
 * handlers, each returning a result and newly found targets. It knows nothing of rings or HTTP.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../core/clock.js';
import type { CrawlProgress } from '../core/model.js';
import { PROGRESS_INTERVAL_MS, createProgressThrottle } from './progress.js';

/** Hard ceiling on distinct targets one crawl accepts (and so on queue, dedupe set and results). */
export const MAX_CRAWL_TARGETS = 1_000_000;

/** What a handler returns: a result to record (none: nothing to record) and targets it discovered. */
export interface VisitOutcome<T, R> {
  result?: R;
  next: readonly T[];
}

/**
 * Inputs of runCrawl. Contract: `visit` is called at most once per distinct `key`, never more than
 * `concurrency` at a time, in FIFO (breadth-first) order of first discovery; it receives a signal that
 * aborts when the crawl is aborted. A visit that throws stops the crawl: no new visits start and
 * runCrawl rejects with that error once the visits in flight have settled.
 */
export interface CrawlEngineOptions<T, R> {
  seeds: readonly T[];
  key: (target: T) => string;
  /** Workers (≥ 1). */
  concurrency: number;
  visit: (target: T, signal: AbortSignal) => Promise<VisitOutcome<T, R>>;
  /** Whether a result counts as ok (else failed) in progress events. */
  isOk: (result: R) => boolean;
  clock: Clock;
  signal?: AbortSignal;
  onProgress?: (progress: CrawlProgress) => void;
  /** Minimum spacing of progress events (ms), default 100; a final event is always sent. */
  progressIntervalMs?: number;
  /** Distinct targets accepted (seeds included), default and maximum MAX_CRAWL_TARGETS; later ones are dropped. */
  maxTargets?: number;
}

/**
 * Outcome of runCrawl. `results` holds the results of visits that completed before an abort, in
 * completion order; `visited` counts completed visits (with or without a result); `dropped` counts
 * distinct targets refused because maxTargets was reached.
 */
export interface CrawlEngineResult<R> {
  state: 'completed' | 'aborted';
  results: R[];
  visited: number;
  dropped: number;
}

/** A FIFO with O(1) amortised shift that releases consumed slots. */
class Queue<T> {
  #items: T[] = [];
  #head = 0;
  get size(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

export function runCrawl<T, R>(options: CrawlEngineOptions<T, R>): Promise<CrawlEngineResult<R>> {
  const { clock, signal } = options;
  const concurrency = Math.floor(options.concurrency);
  if (!(concurrency >= 1)) return Promise.reject(new Error('runCrawl: concurrency must be ≥ 1'));
  const maxTargets = Math.min(Math.floor(options.maxTargets ?? MAX_CRAWL_TARGETS), MAX_CRAWL_TARGETS);
  if (!(maxTargets >= 1)) return Promise.reject(new Error('runCrawl: maxTargets must be ≥ 1'));

  const seen = new Set<string>();
  const queue = new Queue<T>();
  const results: R[] = [];
  const counts = { visited: 0, inFlight: 0, ok: 0, failed: 0 };
  let dropped = 0;
  let failure: { error: unknown } | undefined;
  const inner = new AbortController();
  // Every visit in flight listens on this signal: that many listeners are expected, not a leak.
  setMaxListeners(concurrency + 8, inner.signal);
  const progress = createProgressThrottle(
    clock,
    options.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
    () => ({ ...counts, queued: queue.size }),
    options.onProgress,
  );

  const offer = (target: T): void => {
    let k: string;
    try {
      k = options.key(target);
    } catch {
      return; // a target without a key cannot be deduped: ignored
    }
    if (seen.has(k)) return;
    if (seen.size >= maxTargets) {
      dropped++;
      return;
    }
    seen.add(k);
    queue.push(target);
  };

  return new Promise<CrawlEngineResult<R>>((resolve, reject) => {
    let settled = false;
    const stopped = (): boolean => inner.signal.aborted || failure !== undefined;
    const onAbort = (): void => {
      inner.abort(signal?.reason);
      queue.clear();
      pump();
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      progress.flush();
      if (failure) reject(failure.error instanceof Error ? failure.error : new Error(String(failure.error)));
      else
        resolve({
          state: inner.signal.aborted ? 'aborted' : 'completed',
          results,
          visited: counts.visited,
          dropped,
        });
    };
    const start = (target: T): void => {
      counts.inFlight++;
      let promise: Promise<VisitOutcome<T, R>>;
      try {
        promise = options.visit(target, inner.signal);
      } catch (err) {
        promise = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      promise.then(
        (outcome) => {
          counts.inFlight--;
          if (!stopped()) {
            counts.visited++;
            if (outcome.result !== undefined) {
              results.push(outcome.result);
              if (options.isOk(outcome.result)) counts.ok++;
              else counts.failed++;
            }
            for (const t of outcome.next) offer(t);
          }
          pump();
        },
        (err: unknown) => {
          counts.inFlight--;
          failure ??= { error: err };
          inner.abort(err);
          queue.clear();
          pump();
        },
      );
    };
    function pump(): void {
      while (!stopped() && counts.inFlight < concurrency) {
        const target = queue.shift();
        if (target === undefined) break;
        start(target);
      }
      progress.poke();
      if (counts.inFlight === 0 && (queue.size === 0 || stopped())) finish();
    }

    if (signal?.aborted) {
      inner.abort(signal.reason);
    } else {
      signal?.addEventListener('abort', onAbort, { once: true });
      for (const s of options.seeds) offer(s);
    }
    pump();
  });
}
