/**
 * Ring structure, judged from each successful crawl on its own (no streak: the alert layer's `for:`
 * decides how long a split must last before paging).
 *  - `ring_split` (ring-wide): the R1 pointers form ≥ 2 rings (analysis.rings) — a partition; value =
 *    number of rings, detail with their sizes; cleared when the crawl finds one ring (or none).
 *  - `duplicate_id` (per ID in analysis.duplicateIds): distinct nodes answer with the same ID; value =
 *    how many; cleared when the ID is no longer duplicated.
 * A crawl that did not succeed proves nothing here: active signals are reported unchanged.
 *
 * State (namespace 'ring_structure'): RING_KEY { since, value, detail } while split; per duplicated node
 * ID the same.
 */
import { z } from 'zod';
import type { RingAnalysis } from '../core/model.js';
import type { Detector, DetectorContext, Signal } from './types.js';
import { RING_KEY } from './types.js';

const NAME = 'ring_structure' as const;
/** A condition held: since when, and its last value and detail (re-reported when a crawl fails). */
const HeldSchema = z.object({ since: z.number(), value: z.number(), detail: z.string() });
type Held = z.infer<typeof HeldSchema>;

function ringSizes(analysis: RingAnalysis): number[] {
  const byRing = new Map<number, Set<string>>();
  for (const a of analysis.nodes) {
    if (a.ring === undefined) continue;
    let s = byRing.get(a.ring);
    if (s === undefined) byRing.set(a.ring, (s = new Set()));
    s.add(a.nodeId);
  }
  return [...byRing.entries()].sort((x, y) => x[0] - y[0]).map(([, s]) => s.size);
}

function splitDetail(analysis: RingAnalysis): string {
  const sizes = ringSizes(analysis);
  const shown = sizes.slice(0, 6).join(' + ') + (sizes.length > 6 ? ` + ${sizes.length - 6} more` : '');
  const tail = sizes.length > 0 ? `: ${shown} nodes (main ring ${analysis.mainRingSize})` : '';
  return `the R1 pointers form ${analysis.rings} separate rings${tail}; the overlay is partitioned`;
}

function endpointsOf(analysis: RingAnalysis, id: string): string[] {
  return analysis.nodes.filter((a) => a.nodeId === id && a.reachable).map((a) => a.endpoint);
}

function duplicateDetail(endpoints: readonly string[]): string {
  const shown =
    endpoints.slice(0, 3).join(', ') + (endpoints.length > 3 ? ` and ${endpoints.length - 3} more` : '');
  return `${endpoints.length} distinct nodes answer with this ID (${shown})`;
}

export function createRingStructureDetector(): Detector {
  return {
    name: NAME,
    async run(ctx: DetectorContext): Promise<Signal[]> {
      const { analysis, now } = ctx;
      const prev = new Map<string, Held>();
      for (const [key, value] of await ctx.state.entries(NAME)) {
        const st = HeldSchema.safeParse(value);
        if (st.success) prev.set(key, st.data);
      }
      const signal = (key: string, held: Held, active: boolean, detail = held.detail): Signal => {
        const s: Signal =
          key === RING_KEY
            ? { detector: NAME, kind: 'ring_split', active, since: held.since, value: held.value, detail }
            : {
                detector: NAME,
                kind: 'duplicate_id',
                nodeId: key,
                active,
                since: held.since,
                value: held.value,
                detail,
              };
        return s;
      };

      if (ctx.result.state !== 'succeeded') {
        return [...prev].map(([key, held]) =>
          signal(key, held, true, `${held.detail} (last verdict: this crawl did not succeed)`),
        );
      }

      const holding = new Map<string, { value: number; detail: string }>();
      if (analysis.rings >= 2)
        holding.set(RING_KEY, { value: analysis.rings, detail: splitDetail(analysis) });
      for (const id of new Set(analysis.duplicateIds)) {
        const endpoints = endpointsOf(analysis, id);
        holding.set(id, { value: endpoints.length, detail: duplicateDetail(endpoints) });
      }

      const signals: Signal[] = [];
      for (const [key, cur] of holding) {
        const before = prev.get(key);
        const held: Held = { since: before?.since ?? now, ...cur };
        if (before === undefined || before.value !== held.value || before.detail !== held.detail) {
          await ctx.state.set(NAME, key, held);
        }
        signals.push(signal(key, held, true));
      }
      for (const [key, held] of prev) {
        if (holding.has(key)) continue;
        await ctx.state.delete(NAME, key);
        if (key === RING_KEY) {
          const why = analysis.rings === 1 ? 'one ring again' : 'no ring found in this crawl';
          signals.push(signal(key, { ...held, value: analysis.rings }, false, why));
        } else {
          const count = endpointsOf(analysis, key).length;
          const why = `no longer duplicated: ${count} node${count === 1 ? '' : 's'} answer${count === 1 ? 's' : ''} with this ID`;
          signals.push(signal(key, { ...held, value: count }, false, why));
        }
      }
      return signals;
    },
  };
}
