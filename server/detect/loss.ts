/**
 * Node loss. The known ring is every node ever seen reachable (and not yet forgotten).
 *
 * `node_lost` (per node): a known node missing — unreachable or absent — from config.lostAfterCrawls
 * consecutive successful crawls; `since` = the first crawl it was missing from, value = consecutive
 * crawls missing. Cleared when the node is reachable again, or when it has been missing for
 * config.loss.forgetAfterMs (it is then forgotten: decommissioned nodes do not fire forever).
 * Crawls that did not succeed count no misses (a crawler cut off from the network is not a ring loss).
 *
 * `nonlinear_loss` (ring-wide): normal restarts (PlanetLab: 5–20 machines a day) lose nodes one at a
 * time; a fault loses many at once. A loss event is recorded when node_lost is raised; the events of
 * the last config.loss.windowMs whose node is still lost are the window's losses. The signal holds
 * while losses > `absolute` AND > `percent`% of the known ring AND > what `expectedRestartsPerHour`
 * predicts for one window; value = losses in the window. One signal for the ring, cleared when the
 * window's losses fall back to the thresholds (events age out or their nodes return).
 *
 * State (namespace 'node_loss'): per node ID { firstSeen, missed, missingSince, lostSince }, one per
 * known node, written when it changes; RING_KEY { events: [{ id, at }], active }.
 */
import { z } from 'zod';
import type { Detector, DetectorContext, Signal } from './types.js';
import { RING_KEY } from './types.js';
import { forEachSliced } from '../core/slice.js';
import { crawlView, formatDuration, isMissing, parseStates } from './view.js';

const NAME = 'node_loss' as const;
const HOUR_MS = 3_600_000;

const NodeStateSchema = z.object({
  firstSeen: z.number(),
  missed: z.number().int().nonnegative(),
  missingSince: z.number().nullable(),
  lostSince: z.number().nullable(),
});
type NodeState = z.infer<typeof NodeStateSchema>;

const RingStateSchema = z.object({
  events: z.array(z.object({ id: z.string(), at: z.number() })),
  active: z.object({ since: z.number() }).nullable(),
});
type RingState = z.infer<typeof RingStateSchema>;

function lostSignal(id: string, st: NodeState, now: number, how: string): Signal {
  const since = st.missingSince ?? now;
  return {
    detector: NAME,
    kind: 'node_lost',
    nodeId: id,
    active: true,
    since,
    value: st.missed,
    detail: `${how} in ${st.missed} consecutive crawls (for ${formatDuration(now - since)})`,
  };
}

function pct(part: number, whole: number): string {
  return `${whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1)}%`;
}

export function createNodeLossDetector(): Detector {
  return {
    name: NAME,
    async run(ctx: DetectorContext): Promise<Signal[]> {
      const { now } = ctx;
      const cfg = ctx.config.loss;
      const lostAfter = ctx.config.lostAfterCrawls;
      const view = crawlView(ctx);
      const entries = await ctx.state.entries(NAME);
      const ringParsed = RingStateSchema.safeParse(entries.get(RING_KEY));
      const ring: RingState = ringParsed.success ? ringParsed.data : { events: [], active: null };
      const ringBefore = ringParsed.success
        ? JSON.stringify(ringParsed.data)
        : JSON.stringify({ events: [], active: null });
      const prev = await parseStates(entries, NodeStateSchema, RING_KEY);
      const signals: Signal[] = [];
      const writes = new Map<string, NodeState | null>();
      const known = new Set(prev.keys());
      const returned = new Set<string>();

      await forEachSliced(view.reachable.keys(), (id) => {
        const st = prev.get(id);
        if (st === undefined) {
          writes.set(id, { firstSeen: now, missed: 0, missingSince: null, lostSince: null });
          known.add(id);
        } else if (st.missed > 0) {
          if (st.lostSince !== null) {
            returned.add(id);
            signals.push({
              detector: NAME,
              kind: 'node_lost',
              nodeId: id,
              active: false,
              since: st.missingSince ?? st.lostSince,
              value: st.missed,
              detail: `reachable again after ${st.missed} crawls (${formatDuration(now - (st.missingSince ?? now))})`,
            });
          }
          writes.set(id, { ...st, missed: 0, missingSince: null, lostSince: null });
        }
      });

      await forEachSliced(prev, ([id, st]) => {
        if (view.reachable.has(id)) return;
        const how = view.unreachable.has(id) ? 'unreachable' : 'not reached';
        if (!isMissing(view, id)) {
          if (st.lostSince !== null) signals.push(lostSignal(id, st, now, how));
          return;
        }
        const n: NodeState = { ...st, missed: st.missed + 1, missingSince: st.missingSince ?? now };
        if (n.lostSince === null && n.missed >= lostAfter) {
          n.lostSince = now;
          ring.events.push({ id, at: now });
        }
        if (n.lostSince !== null && now - n.missingSince! >= cfg.forgetAfterMs) {
          signals.push({
            detector: NAME,
            kind: 'node_lost',
            nodeId: id,
            active: false,
            since: n.missingSince!,
            value: n.missed,
            detail: `forgotten: missing for ${formatDuration(now - n.missingSince!)}, no longer counted in the ring`,
          });
          known.delete(id);
          writes.set(id, null);
          return;
        }
        if (n.lostSince !== null) signals.push(lostSignal(id, n, now, how));
        writes.set(id, n);
      });

      // The window: events of the last windowMs whose node is still lost (known, not returned).
      const events = ring.events.filter(
        (e) => now - e.at < cfg.windowMs && known.has(e.id) && !returned.has(e.id),
      );
      const lost = events.length;
      const base = known.size;
      const expected = (cfg.expectedRestartsPerHour * cfg.windowMs) / HOUR_MS;
      const holds = lost > cfg.absolute && base > 0 && (100 * lost) / base > cfg.percent && lost > expected;
      const window = formatDuration(cfg.windowMs);
      let active = ring.active;
      if (holds) {
        active ??= { since: now };
        signals.push({
          detector: NAME,
          kind: 'nonlinear_loss',
          active: true,
          since: active.since,
          value: lost,
          detail:
            `${lost} nodes lost within ${window}: ${pct(lost, base)} of the ${base} known ` +
            `(normal restarts: ~${expected.toFixed(1)} per ${window})`,
        });
      } else if (active !== null) {
        signals.push({
          detector: NAME,
          kind: 'nonlinear_loss',
          active: false,
          since: active.since,
          value: lost,
          detail: `losses within ${window} back to ${lost} (${pct(lost, base)} of the ${base} known)`,
        });
        active = null;
      }

      for (const [id, st] of writes) {
        if (st === null) await ctx.state.delete(NAME, id);
        else await ctx.state.set(NAME, id, st);
      }
      const nextRing: RingState = { events, active };
      if (JSON.stringify(nextRing) !== ringBefore) await ctx.state.set(NAME, RING_KEY, nextRing);
      return signals;
    },
  };
}
