/**
 * Throttled progress reporting shared by the crawl strategies.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { CrawlProgress } from '../core/model.js';

/** Default minimum spacing of progress events (ms). */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Contract: `poke()` says the counters changed; the listener then gets a snapshot at most once per
 * interval (leading edge immediately, later changes on a trailing timer of the injected clock).
 * `flush()` cancels the timer and always emits one last snapshot; nothing is emitted after it.
 * Exceptions thrown by the listener are swallowed (reporting must not break a crawl).
 */
export interface ProgressThrottle {
  poke(): void;
  flush(): void;
}

export function createProgressThrottle(
  clock: Clock,
  intervalMs: number,
  read: () => CrawlProgress,
  listener: ((p: CrawlProgress) => void) | undefined,
): ProgressThrottle {
  let last = -Infinity;
  let timer: TimerHandle | undefined;
  let done = false;
  const emit = (): void => {
    last = clock.now();
    try {
      listener?.(read());
    } catch {
      // ignored on purpose, see contract
    }
  };
  return {
    poke() {
      if (!listener || done || timer) return;
      const wait = last + intervalMs - clock.now();
      if (wait <= 0) {
        emit();
        return;
      }
      timer = clock.setTimeout(() => {
        timer = undefined;
        if (!done) emit();
      }, wait);
    },
    flush() {
      if (done) return;
      done = true;
      if (timer) clock.clearTimeout(timer);
      timer = undefined;
      if (listener) emit();
    },
  };
}
