/**
 * Persistent inconsistency vs churn. A node the analysis judges 'inconsistent' in K consecutive crawls
 * (config.persistent.crawls, default 3) is a real fault: signal `persistent_inconsistency` from the
 * K-th crawl on, `since` = the first crawl of the streak, value = streak length in crawls. One that
 * heals (judged 'ok') before K was churn: its per-node churn counter and the ring total go up, no
 * signal. A flagged node judged 'ok' again is cleared (active: false).
 *
 * Gaps: a crawl that does not reach the node (unreachable or absent) neither extends nor resets its
 * streak — an inconsistent, unreachable, inconsistent node has a streak of 2. After
 * config.lostAfterCrawls such crawls in a row the node counts as lost: its streak is dropped (cleared
 * if flagged, not counted as churn). Crawls that did not succeed are no evidence at all: flagged nodes
 * are reported unchanged.
 *
 * State (namespace 'persistent_inconsistency'): per node ID { streak, since, flagged, missed, churn },
 * kept while a streak runs or churn was counted; RING_KEY { churnTotal }.
 */
import { z } from 'zod';
import type { DetectorStateStore, Detector, DetectorContext, Signal } from './types.js';
import { RING_KEY } from './types.js';
import { forEachSliced } from '../core/slice.js';
import { crawlView, isMissing, formatDuration, parseStates } from './view.js';

const NAME = 'persistent_inconsistency' as const;

const NodeStateSchema = z.object({
  streak: z.number().int().nonnegative(),
  since: z.number().nullable(),
  flagged: z.boolean(),
  missed: z.number().int().nonnegative(),
  churn: z.number().int().nonnegative(),
});
type NodeState = z.infer<typeof NodeStateSchema>;
const RingStateSchema = z.object({ churnTotal: z.number().int().nonnegative() });

const EMPTY: NodeState = { streak: 0, since: null, flagged: false, missed: 0, churn: 0 };

function same(a: NodeState, b: NodeState): boolean {
  return (
    a.streak === b.streak &&
    a.since === b.since &&
    a.flagged === b.flagged &&
    a.missed === b.missed &&
    a.churn === b.churn
  );
}

function churnNote(churn: number): string {
  return churn === 0 ? '' : `; healed by itself ${churn} time${churn === 1 ? '' : 's'} before (churn)`;
}

function activeSignal(nodeId: string, st: NodeState, now: number): Signal {
  const since = st.since ?? now;
  return {
    detector: NAME,
    kind: 'persistent_inconsistency',
    nodeId,
    active: true,
    since,
    value: st.streak,
    detail:
      `inconsistent in ${st.streak} consecutive crawls (for ${formatDuration(now - since)})` +
      `${st.missed > 0 ? `, not reached in the last ${st.missed}` : ''}${churnNote(st.churn)}`,
  };
}

function clearSignal(nodeId: string, st: NodeState, why: string): Signal {
  return {
    detector: NAME,
    kind: 'persistent_inconsistency',
    nodeId,
    active: false,
    since: st.since ?? 0,
    value: st.streak,
    detail: why,
  };
}

/** Churn counted so far: heals before the threshold, per node and in total. */
export interface ChurnSummary {
  total: number;
  byNode: Map<string, number>;
}

/** Reads the churn counters (a signal-less summary of the persistent-inconsistency detector). */
export async function churnSummary(state: DetectorStateStore): Promise<ChurnSummary> {
  const entries = await state.entries(NAME);
  const ring = RingStateSchema.safeParse(entries.get(RING_KEY));
  const byNode = new Map<string, number>();
  for (const [key, value] of entries) {
    if (key === RING_KEY) continue;
    const st = NodeStateSchema.safeParse(value);
    if (st.success && st.data.churn > 0) byNode.set(key, st.data.churn);
  }
  return { total: ring.success ? ring.data.churnTotal : 0, byNode };
}

export function createPersistentInconsistencyDetector(): Detector {
  return {
    name: NAME,
    async run(ctx: DetectorContext): Promise<Signal[]> {
      const k = ctx.config.persistent.crawls;
      const lostAfter = ctx.config.lostAfterCrawls;
      const view = crawlView(ctx);
      const entries = await ctx.state.entries(NAME);
      const ringParsed = RingStateSchema.safeParse(entries.get(RING_KEY));
      let churnTotal = ringParsed.success ? ringParsed.data.churnTotal : 0;
      const churnBefore = churnTotal;
      const prev = await parseStates(entries, NodeStateSchema, RING_KEY);
      const signals: Signal[] = [];

      if (!view.complete) {
        for (const [id, st] of prev) if (st.flagged) signals.push(activeSignal(id, st, ctx.now));
        return signals;
      }

      const next = new Map<string, NodeState>();
      await forEachSliced(view.reachable, ([id, verdict]) => {
        const st = prev.get(id) ?? EMPTY;
        if (verdict === 'inconsistent') {
          const n: NodeState = { ...st, streak: st.streak + 1, since: st.since ?? ctx.now, missed: 0 };
          if (n.streak >= k) n.flagged = true;
          next.set(id, n);
          if (n.flagged) signals.push(activeSignal(id, n, ctx.now));
        } else if (st.streak > 0) {
          if (st.flagged) {
            signals.push(clearSignal(id, st, `consistent again after ${st.streak} inconsistent crawls`));
            next.set(id, { ...EMPTY, churn: st.churn });
          } else {
            churnTotal++;
            next.set(id, { ...EMPTY, churn: st.churn + 1 });
          }
        }
      });
      await forEachSliced(prev, ([id, st]) => {
        if (view.reachable.has(id) || st.streak === 0 || !isMissing(view, id)) return;
        const missed = st.missed + 1;
        if (missed >= lostAfter) {
          if (st.flagged)
            signals.push(clearSignal(id, st, `not reached in ${missed} consecutive crawls: streak dropped`));
          next.set(id, { ...EMPTY, churn: st.churn });
        } else {
          const n = { ...st, missed };
          next.set(id, n);
          if (n.flagged) signals.push(activeSignal(id, n, ctx.now));
        }
      });

      for (const [id, n] of next) {
        const p = prev.get(id);
        if (p !== undefined && same(p, n)) continue;
        if (n.streak === 0 && n.churn === 0) {
          if (p !== undefined) await ctx.state.delete(NAME, id);
        } else await ctx.state.set(NAME, id, n);
      }
      if (churnTotal !== churnBefore) await ctx.state.set(NAME, RING_KEY, { churnTotal });
      return signals;
    },
  };
}
