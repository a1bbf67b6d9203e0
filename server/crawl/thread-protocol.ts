/**
 * The messages between the server and its crawl thread (server/crawl/thread.ts ↔ thread-entry.ts).
 * Everything is structured-clone data: no functions, no signals, no class instances. The thread's
 * workerData is a CrawlSetup (setup.ts), checked by the server first.
 */
import type { CrawlProgress, CrawlResult, CrawlStrategy, Visit } from '../core/model.js';
import type { KnownNode } from './targets.js';

/** Server → thread. `abort` for an unknown or finished crawl is ignored. */
export type ToCrawlThread =
  | {
      kind: 'crawl';
      id: number;
      seeds: string[];
      known: KnownNode[];
      strategy: CrawlStrategy;
    }
  /** `why`: the abort reason's message ('' when it had none); it ends up in the result's `reason`. */
  | { kind: 'abort'; id: number; why: string }
  /** The server has taken in the last `visits` chunk of crawl `id`: send the next one (or `done`). */
  | { kind: 'more'; id: number };

/**
 * Thread → server, per crawl in this order: any number of `progress`, then either `failed`, or the
 * result's visits in `visits` chunks (in result order) followed by one `done` with everything else.
 * Each chunk after the first is sent only when the server asks for `more`: a port delivers every queued
 * message in one go, so chunks sent at once would be deserialised in one long block (0.7 s for 10k
 * visits here) instead of many short ones with the server's other work in between.
 */
export type FromCrawlThread =
  | { kind: 'progress'; id: number; progress: CrawlProgress }
  | { kind: 'visits'; id: number; visits: Visit[] }
  | { kind: 'done'; id: number; result: Omit<CrawlResult, 'visits' | 'startedAt' | 'finishedAt'> }
  | { kind: 'failed'; id: number; message: string };

/** Visits per `visits` message: about 10 ms of deserialising on a busy 2-core machine. */
export const VISITS_PER_MESSAGE = 100;
