/**
 * Default process statistics: memory and CPU from the real process, event-loop lag from
 * perf_hooks.monitorEventLoopDelay. The delay histogram starts on the first read, never keeps the
 * process alive (Node's sampling timer is unref'd) and is disabled by close().
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { ProcessStats } from './schema.js';

/** Sampling interval of the event-loop delay histogram. */
const RESOLUTION_MS = 10;
/** A lag value is recomputed (and the histogram reset) at most this often. */
const WINDOW_MS = 1000;

/**
 * Reads this process's ProcessStats. Contract: `eventLoopLagMs` is the MEAN event-loop delay beyond
 * the 10 ms sampling interval, over the window since the previous computation (at least 1 s; 0 until
 * samples exist). One sampler may be shared by many agents in one process (recommended for
 * simulators: pass `processStats: sampler.read` to each). `close()` stops sampling; reads still work.
 */
export interface ProcessSampler {
  read(): ProcessStats;
  close(): void;
}

export function createProcessSampler(): ProcessSampler {
  let histogram: IntervalHistogram | undefined;
  let closed = false;
  let lagMs = 0;
  let computedAt = -Infinity;

  function lag(): number {
    if (closed) return lagMs;
    if (histogram === undefined) {
      histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      histogram.enable();
      computedAt = performance.now();
      return 0;
    }
    const t = performance.now();
    if (t - computedAt >= WINDOW_MS && histogram.count > 0) {
      lagMs = Math.max(0, histogram.mean / 1e6 - RESOLUTION_MS);
      histogram.reset();
      computedAt = t;
    }
    return lagMs;
  }

  return {
    read(): ProcessStats {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      return {
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        eventLoopLagMs: lag(),
      };
    },
    close(): void {
      closed = true;
      histogram?.disable();
      histogram = undefined;
    },
  };
}
