/**
 * The last N crawl:finished payloads, for replay to clients that reconnect. It knows from which crawl a
 * replay is complete: every recorded crawl after that one is still buffered (failed crawls change
 * nothing, so missing ones do not matter).
 */
import type { CrawlFinishedPayload } from './types.js';

/**
 * Contract: push() in crawl order; replayFrom(since) returns the buffered payloads with crawlId > since,
 * oldest first, when they are the complete history after `since`, else null (too old, not known, or
 * newer than anything buffered).
 */
export interface FinishedBuffer {
  push(p: CrawlFinishedPayload): void;
  replayFrom(since: number): CrawlFinishedPayload[] | null;
  /** The buffered payloads with crawlId > id, oldest first, complete or not. */
  after(id: number): CrawlFinishedPayload[];
  /** Id of the newest buffered crawl, or null. */
  latest(): number | null;
  size(): number;
}

export function createFinishedBuffer(capacity: number): FinishedBuffer {
  const items: CrawlFinishedPayload[] = [];
  // Topology of crawl `floor` + all buffered deltas = the current topology. null: unknown yet (no
  // recorded crawl seen since start).
  let floor: number | null = null;
  return {
    push(p) {
      if (floor === null && p.delta) floor = p.delta.fromCrawlId ?? 0;
      items.push(p);
      while (items.length > Math.max(0, capacity)) {
        const old = items.shift()!;
        if (old.delta) floor = old.crawlId;
      }
    },
    replayFrom(since) {
      // A client ahead of everything seen here comes from another database: not a replay.
      if (floor === null || since < floor || since > (items.at(-1)?.crawlId ?? floor)) return null;
      return items.filter((p) => p.crawlId > since);
    },
    after: (id) => items.filter((p) => p.crawlId > id),
    latest: () => items.at(-1)?.crawlId ?? null,
    size: () => items.length,
  };
}
