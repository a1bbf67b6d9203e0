/**
 * Cooperative slicing of long computations on the server's event loop. Recording a 10k-node crawl
 * (diff, detectors, relay bookkeeping) is hundreds of milliseconds of JavaScript; done in one piece it
 * holds back every API answer and live event meanwhile. Loops over nodes yield every SLICE items so the
 * loop serves other work in between (bench/RESULTS.md, "Dashboard load"). This is scheduling, not time:
 * nothing here reads a clock.
 */

/** Items handled between two yields: a few milliseconds of per-node work. */
export const SLICE = 256;

/** Resolves after the event loop has run pending I/O callbacks (setImmediate). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Calls `fn` on each item in order, yielding to the event loop after every `every` items. Contract: same
 * effects as a plain for-of loop over `items` (which must not change meanwhile), spread over several
 * turns of the event loop; a throw from `fn` rejects at once, with no later item visited.
 */
export async function forEachSliced<T>(
  items: Iterable<T>,
  fn: (item: T) => void,
  every: number = SLICE,
): Promise<void> {
  let n = 0;
  for (const item of items) {
    fn(item);
    if (++n % every === 0) await yieldToEventLoop();
  }
}
