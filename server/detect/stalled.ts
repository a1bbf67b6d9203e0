/**
 * Stalled worker threads (a deadlocked thread leaves the node answering but useless). A thread is
 * stalled in a crawl when the node reports it 'stalled', or reports it 'running' although its
 * lastBeatAt is more than deadlineMs before the node's own `now` (both times from the node's clock,
 * so the crawler's clock skew does not matter). A 'waiting' thread is legitimately idle (the liveness
 * rule exempts it) and is not stalled. Stalled in M consecutive crawls (config.stalled.crawls,
 * default 2) → `thread_stalled` per (node, thread), value = seconds since its last heartbeat by the
 * node's clock; cleared when the thread runs (or waits) again or is no longer reported.
 *
 * A duplicated ID's statuses are merged: a thread is stalled when it is stalled in any of them.
 * Gaps: a crawl that does not reach the node neither extends nor resets the streaks; after
 * config.lostAfterCrawls consecutive misses they are dropped (and flagged threads cleared).
 *
 * State (namespace 'thread_stalled'): per node ID { missed, threads: { name: streak } }, kept only
 * while one of its threads is on a streak.
 */
import { z } from 'zod';
import type { Status } from '../../node-agent/schema.js';
import type { Detector, DetectorContext, Signal } from './types.js';
import { forEachSliced } from '../core/slice.js';
import { crawlView, formatDuration, isMissing, parseStates } from './view.js';

const NAME = 'thread_stalled' as const;

const ThreadStreakSchema = z.object({
  streak: z.number().int().nonnegative(),
  since: z.number(),
  flagged: z.boolean(),
  /** Seconds since the last heartbeat (node clock) when last seen stalled. */
  ageS: z.number(),
  deadlineMs: z.number(),
  reported: z.string(),
});
type ThreadStreak = z.infer<typeof ThreadStreakSchema>;
const NodeStateSchema = z.object({
  missed: z.number().int().nonnegative(),
  threads: z.record(z.string(), ThreadStreakSchema),
});
type NodeState = z.infer<typeof NodeStateSchema>;

interface ThreadNow {
  stalled: boolean;
  ageS: number;
  deadlineMs: number;
  reported: string;
}

/** Threads of a node in this crawl, merged over its statuses (stalled in any → stalled). */
function threadsOf(statuses: readonly Status[]): Map<string, ThreadNow> {
  const out = new Map<string, ThreadNow>();
  for (const s of statuses) {
    const nodeNow = Date.parse(s.now);
    for (const t of s.threads) {
      const age = Math.max(0, nodeNow - Date.parse(t.lastBeatAt));
      const stalled = t.state === 'stalled' || (t.state === 'running' && age > t.deadlineMs);
      const cur: ThreadNow = {
        stalled,
        ageS: Math.round(age) / 1000,
        deadlineMs: t.deadlineMs,
        reported: t.state,
      };
      const prev = out.get(t.name);
      if (prev === undefined || (stalled && (!prev.stalled || cur.ageS > prev.ageS))) out.set(t.name, cur);
    }
  }
  return out;
}

function activeSignal(nodeId: string, thread: string, t: ThreadStreak): Signal {
  const how =
    t.reported === 'stalled' ? 'reported stalled' : `reported ${t.reported} but its heartbeat is overdue`;
  return {
    detector: NAME,
    kind: 'thread_stalled',
    nodeId,
    thread,
    active: true,
    since: t.since,
    value: t.ageS,
    detail:
      `thread "${thread}" stalled in ${t.streak} consecutive crawls (${how}): last heartbeat ` +
      `${formatDuration(t.ageS * 1000)} before the node's clock, deadline ${formatDuration(t.deadlineMs)}`,
  };
}

function clearSignal(nodeId: string, thread: string, t: ThreadStreak, why: string): Signal {
  return {
    detector: NAME,
    kind: 'thread_stalled',
    nodeId,
    thread,
    active: false,
    since: t.since,
    value: t.ageS,
    detail: why,
  };
}

export function createThreadStalledDetector(): Detector {
  return {
    name: NAME,
    async run(ctx: DetectorContext): Promise<Signal[]> {
      const m = ctx.config.stalled.crawls;
      const lostAfter = ctx.config.lostAfterCrawls;
      const view = crawlView(ctx);
      const prev = await parseStates(await ctx.state.entries(NAME), NodeStateSchema);
      const signals: Signal[] = [];
      /** New state of the nodes that changed; null = delete. */
      const writes = new Map<string, NodeState | null>();

      await forEachSliced(view.statuses, ([id, statuses]) => {
        const before = prev.get(id);
        const threads: Record<string, ThreadStreak> = {};
        const current = threadsOf(statuses);
        for (const [name, now] of current) {
          const old = before?.threads[name];
          if (now.stalled) {
            const streak = (old?.streak ?? 0) + 1;
            const t: ThreadStreak = {
              streak,
              since: old?.since ?? ctx.now,
              flagged: (old?.flagged ?? false) || streak >= m,
              ageS: now.ageS,
              deadlineMs: now.deadlineMs,
              reported: now.reported,
            };
            threads[name] = t;
            if (t.flagged) signals.push(activeSignal(id, name, t));
          } else if (old?.flagged) {
            signals.push(clearSignal(id, name, old, `thread "${name}" is ${now.reported} again`));
          }
        }
        for (const [name, old] of Object.entries(before?.threads ?? {})) {
          if (old.flagged && !current.has(name)) {
            signals.push(clearSignal(id, name, old, `thread "${name}" is no longer reported by the node`));
          }
        }
        if (Object.keys(threads).length > 0) writes.set(id, { missed: 0, threads });
        else if (before !== undefined) writes.set(id, null);
      });

      for (const [id, st] of prev) {
        if (view.statuses.has(id)) continue;
        const flagged = Object.entries(st.threads).filter(([, t]) => t.flagged);
        if (!isMissing(view, id)) {
          for (const [name, t] of flagged) signals.push(activeSignal(id, name, t));
          continue;
        }
        const missed = st.missed + 1;
        if (missed >= lostAfter) {
          for (const [name, t] of flagged) {
            signals.push(
              clearSignal(id, name, t, `node not reached in ${missed} consecutive crawls: streak dropped`),
            );
          }
          writes.set(id, null);
        } else {
          for (const [name, t] of flagged) signals.push(activeSignal(id, name, t));
          writes.set(id, { ...st, missed });
        }
      }

      for (const [id, st] of writes) {
        if (st === null) await ctx.state.delete(NAME, id);
        else await ctx.state.set(NAME, id, st);
      }
      return signals;
    },
  };
}
