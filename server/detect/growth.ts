/**
 * Resource growth from per-node trends over the trailing config.growth.windowMs (TrendSource): a
 * least-squares line through the samples; a series grows when the window holds ≥ minSamples samples
 * spanning ≥ minSpanMs, its slope exceeds the threshold, and R² ≥ minR2 (a straight, steady rise, not
 * noise or a single step).
 *  - `memory_growth`: RSS slope > rssBytesPerHour; value = bytes per hour.
 *  - `queue_growth`: message-queue slope > queuePerHour; value = messages per hour.
 * The reference deployment's I/O-starved hosts looked like leaks because the message queue grew
 * without bound: the memory_growth detail says whether the queue grows too (I/O starvation: fix the
 * host) or stays flat (a leak: fix the code). Each signal is cleared as soon as its condition no
 * longer holds on the current window (including when the window has too few samples, e.g. the node
 * is gone); `since` = the crawl it was raised in.
 *
 * State (namespace 'resource_growth'): per node ID { memory, queue } (since of the active signal, or
 * null), kept only while one of them is active.
 */
import { z } from 'zod';
import type { Detector, DetectorContext, Signal, SignalKind, TrendStats } from './types.js';
import type { DetectorConfig } from './config.js';
import { fitTrend } from './trend.js';
import type { TrendFit } from './trend.js';
import { formatDuration } from './view.js';

const NAME = 'resource_growth' as const;
const MiB = 1_048_576;

const NodeStateSchema = z.object({ memory: z.number().nullable(), queue: z.number().nullable() });
type NodeState = z.infer<typeof NodeStateSchema>;

interface Verdict {
  fit: TrendFit | null;
  holds: boolean;
}

function judge(
  stats: TrendStats | undefined,
  cfg: DetectorConfig['growth'],
): { rss: Verdict; queue: Verdict } {
  const eligible =
    stats !== undefined && stats.n >= cfg.minSamples && stats.lastT - stats.firstT >= cfg.minSpanMs;
  const rss = eligible ? fitTrend(stats, 'rss') : null;
  const queue = eligible ? fitTrend(stats, 'queue') : null;
  return {
    rss: { fit: rss, holds: rss !== null && rss.slopePerHour > cfg.rssBytesPerHour && rss.r2 >= cfg.minR2 },
    queue: {
      fit: queue,
      holds: queue !== null && queue.slopePerHour > cfg.queuePerHour && queue.r2 >= cfg.minR2,
    },
  };
}

function fitText(fit: TrendFit): string {
  return `over ${formatDuration(fit.spanMs)} (R² ${fit.r2.toFixed(2)}, ${fit.n} samples)`;
}

function memoryDetail(rss: TrendFit, queue: Verdict): string {
  const head = `RSS rising ${(rss.slopePerHour / MiB).toFixed(1)} MiB/h ${fitText(rss)}`;
  if (queue.holds && queue.fit !== null) {
    return `${head}; the message queue grows too (${Math.round(queue.fit.slopePerHour)}/h): I/O starvation, not a leak`;
  }
  return `${head} with a flat message queue: looks like a memory leak`;
}

function queueDetail(queue: TrendFit, rss: Verdict): string {
  return (
    `message queue growing ${Math.round(queue.slopePerHour)} messages/h ${fitText(queue)}: I/O starvation, ` +
    `the host cannot keep up${rss.holds ? ' (and RSS grows with it)' : ''}`
  );
}

export function createResourceGrowthDetector(): Detector {
  return {
    name: NAME,
    async run(ctx: DetectorContext): Promise<Signal[]> {
      const cfg = ctx.config.growth;
      const trends = await ctx.trends.trends(ctx.now - cfg.windowMs);
      const prev = new Map<string, NodeState>();
      for (const [key, value] of await ctx.state.entries(NAME)) {
        const st = NodeStateSchema.safeParse(value);
        if (st.success) prev.set(key, st.data);
      }
      const signals: Signal[] = [];
      const ids = new Set([...trends.keys(), ...prev.keys()]);

      for (const id of ids) {
        const v = judge(trends.get(id), cfg);
        const before = prev.get(id) ?? { memory: null, queue: null };
        const next: NodeState = { memory: null, queue: null };
        const step = (
          kind: SignalKind,
          field: keyof NodeState,
          verdict: Verdict,
          detail: (fit: TrendFit) => string,
          unit: string,
        ): void => {
          const since = before[field];
          if (verdict.holds && verdict.fit !== null) {
            next[field] = since ?? ctx.now;
            signals.push({
              detector: NAME,
              kind,
              nodeId: id,
              active: true,
              since: next[field],
              value: verdict.fit.slopePerHour,
              detail: detail(verdict.fit),
            });
          } else if (since !== null) {
            const why =
              verdict.fit === null
                ? `too few samples in the last ${formatDuration(cfg.windowMs)} to judge`
                : `${unit} ${Math.round(verdict.fit.slopePerHour)}/h, R² ${verdict.fit.r2.toFixed(2)}`;
            const s: Signal = {
              detector: NAME,
              kind,
              nodeId: id,
              active: false,
              since,
              detail: `no longer growing: ${why}`,
            };
            if (verdict.fit !== null) s.value = verdict.fit.slopePerHour;
            signals.push(s);
          }
        };
        step('memory_growth', 'memory', v.rss, (fit) => memoryDetail(fit, v.queue), 'RSS bytes');
        step('queue_growth', 'queue', v.queue, (fit) => queueDetail(fit, v.rss), 'queue');

        if (next.memory === before.memory && next.queue === before.queue) continue;
        if (next.memory === null && next.queue === null) await ctx.state.delete(NAME, id);
        else await ctx.state.set(NAME, id, next);
      }
      return signals;
    },
  };
}
