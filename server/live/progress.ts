/**
 * Throttling of crawl progress: at most one report per crawl per interval, the latest one winning, and
 * the last report of a crawl always delivered (before its crawl:finished).
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { CrawlProgress } from '../core/model.js';

/**
 * Contract: report() sends at once when nothing was sent for the crawl within intervalMs, else keeps
 * the report and sends the newest kept one when the interval is over. finish() sends a kept report at
 * once (so the final progress is never lost) and forgets the crawl. close() drops everything unsent.
 */
export interface ProgressThrottle {
  report(crawlId: number, progress: CrawlProgress): void;
  finish(crawlId: number): void;
  close(): void;
}

interface CrawlThrottle {
  lastSentAt: number | null;
  pending: CrawlProgress | null;
  timer: TimerHandle | null;
}

export function createProgressThrottle(
  clock: Clock,
  intervalMs: number,
  send: (crawlId: number, progress: CrawlProgress) => void,
): ProgressThrottle {
  const crawls = new Map<number, CrawlThrottle>();

  function sendNow(crawlId: number, c: CrawlThrottle, p: CrawlProgress) {
    c.pending = null;
    c.lastSentAt = clock.now();
    send(crawlId, p);
  }

  function cancel(c: CrawlThrottle) {
    if (c.timer) clock.clearTimeout(c.timer);
    c.timer = null;
  }

  return {
    report(crawlId, progress) {
      let c = crawls.get(crawlId);
      if (!c) crawls.set(crawlId, (c = { lastSentAt: null, pending: null, timer: null }));
      const now = clock.now();
      if (c.lastSentAt === null || now - c.lastSentAt >= intervalMs) {
        cancel(c);
        sendNow(crawlId, c, progress);
        return;
      }
      c.pending = progress;
      if (c.timer) return;
      const state = c;
      c.timer = clock.setTimeout(
        () => {
          state.timer = null;
          if (state.pending) sendNow(crawlId, state, state.pending);
        },
        state.lastSentAt! + intervalMs - now,
      );
    },
    finish(crawlId) {
      const c = crawls.get(crawlId);
      if (!c) return;
      cancel(c);
      crawls.delete(crawlId);
      if (c.pending) sendNow(crawlId, c, c.pending);
    },
    close() {
      for (const c of crawls.values()) cancel(c);
      crawls.clear();
    },
  };
}
