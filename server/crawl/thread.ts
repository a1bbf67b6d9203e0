/**
 * A crawler that runs its crawls in a worker thread (thread-entry.ts). A 10k-node crawl is tens of
 * thousands of connections, HTTP exchanges, JSON parses and schema checks; on the server's own event loop
 * that work delays every API answer and live update (bench/RESULTS.md, "Dashboard load"). Here the
 * server only receives finished visits, in chunks, and the crawl's progress.
 */
import { Worker } from 'node:worker_threads';
import type { Clock } from '../core/clock.js';
import type { CrawlResult, Visit } from '../core/model.js';
import type { Crawler, CrawlRequest } from './crawler.js';
import { checkCrawlSetup, type CrawlSetup } from './setup.js';
import type { FromCrawlThread, ToCrawlThread } from './thread-protocol.js';

/** The crawler's settings (setup.ts). */
export type CrawlThreadOptions = CrawlSetup;

export interface CrawlThreadDeps {
  /** Stamps each result's startedAt/finishedAt. The thread times visits on the system clock. */
  clock: Clock;
  /** The thread's module; default thread-entry.ts (tests substitute a failing one). */
  entry?: URL;
}

/**
 * A Crawler (same contract, same results as createCrawler over a fetcher built from the same options)
 * whose crawls run in one worker thread, started on the first crawl and kept for the next ones. An idle
 * thread does not keep the process alive. Differences from createCrawler: startedAt/finishedAt come from
 * deps.clock while visits are timed on the system clock; crawl() also rejects when the thread fails (it
 * cannot start, throws or exits): every crawl in flight rejects with "crawl thread stopped: …" and the next
 * crawl starts a new thread. Invalid options throw here, not in the thread. close() (idempotent) stops
 * the thread; crawls in flight and later crawls reject.
 */
export interface CrawlThread extends Crawler {
  close(): Promise<void>;
}

interface Pending {
  /** The thread running this crawl (after a failure, a later crawl runs on a new one). */
  worker: Worker;
  request: CrawlRequest;
  startedAt: number;
  visits: Visit[];
  resolve(result: CrawlResult): void;
  reject(err: Error): void;
  cleanup(): void;
}

const TSX_API = import.meta.resolve('tsx/esm/api');
const ENTRY = new URL('./thread-entry.ts', import.meta.url);

/** The thread registers the TypeScript loader itself: loader hooks are not inherited by workers. */
function spawn(entry: URL, setup: CrawlSetup): Worker {
  const boot = `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: setup, name: 'ringwatch-crawl' });
}

const reasonText = (reason: unknown): string =>
  reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';

export function createCrawlThread(deps: CrawlThreadDeps, options: CrawlThreadOptions): CrawlThread {
  checkCrawlSetup(options);
  const setup: CrawlSetup = { ...options, allow: [...options.allow] };
  const { clock } = deps;
  const pending = new Map<number, Pending>();
  let worker: Worker | undefined;
  let nextId = 1;
  let closed = false;

  /** Rejects the crawls running on `on` (every crawl when undefined). */
  const failAll = (why: string, on?: Worker): void => {
    const error = new Error(`crawl thread stopped: ${why}`);
    for (const [id, p] of [...pending]) {
      if (on !== undefined && p.worker !== on) continue;
      p.cleanup();
      pending.delete(id);
      p.reject(error);
    }
  };

  function onMessage(message: FromCrawlThread): void {
    const p = pending.get(message.id);
    if (!p) return;
    switch (message.kind) {
      case 'progress':
        p.request.onProgress?.(message.progress);
        return;
      case 'visits':
        for (const v of message.visits) p.visits.push(v);
        p.worker.postMessage({ kind: 'more', id: message.id } satisfies ToCrawlThread);
        return;
      case 'failed':
        settle(message.id, p);
        p.reject(new Error(message.message));
        return;
      case 'done':
        settle(message.id, p);
        p.resolve({
          ...message.result,
          startedAt: p.startedAt,
          finishedAt: Math.max(p.startedAt, clock.now()),
          visits: p.visits,
        });
        return;
    }
  }

  function settle(id: number, p: Pending): void {
    p.cleanup();
    pending.delete(id);
    if (![...pending.values()].some((other) => other.worker === p.worker)) p.worker.unref();
  }

  function thread(): Worker {
    if (worker) return worker;
    const w = spawn(deps.entry ?? ENTRY, setup);
    w.on('message', onMessage);
    // 'exit' follows 'error'; by then a later crawl may run on a new thread, which must not be failed.
    w.on('error', (err) => {
      if (worker === w) worker = undefined;
      failAll(err.message, w);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(`exited with code ${code}`, w);
    });
    worker = w;
    return w;
  }

  return {
    crawl(request) {
      if (closed) return Promise.reject(new Error('crawl thread stopped: closed'));
      const id = nextId++;
      const w = thread();
      w.ref();
      return new Promise<CrawlResult>((resolve, reject) => {
        const { signal } = request;
        const onAbort = (): void =>
          w.postMessage({ kind: 'abort', id, why: reasonText(signal?.reason) } satisfies ToCrawlThread);
        signal?.addEventListener('abort', onAbort, { once: true });
        pending.set(id, {
          worker: w,
          request,
          startedAt: clock.now(),
          visits: [],
          resolve,
          reject,
          cleanup: () => signal?.removeEventListener('abort', onAbort),
        });
        w.postMessage({
          kind: 'crawl',
          id,
          seeds: [...request.seeds],
          known: [...(request.known ?? [])],
          strategy: request.strategy,
        } satisfies ToCrawlThread);
        if (signal?.aborted) onAbort();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const w = worker;
      worker = undefined;
      failAll('closed');
      if (w) await w.terminate();
    },
  };
}
