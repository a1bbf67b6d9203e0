/**
 * What the per-node detectors need from one crawl, per node ID: reachable or not, the verdict of
 * the analysis, the statuses it answered with. Built once per DetectorContext (cached).
 */
import type { z } from 'zod';
import type { Status } from '../../node-agent/schema.js';
import { forEachSliced } from '../core/slice.js';
import type { DetectorContext, JsonObject } from './types.js';

export interface CrawlView {
  /**
   * The crawl succeeded, so its verdicts are evidence: a known node it did not reach (a failed visit,
   * or no visit at all) is missing. A failed crawl (no node answered: most likely the crawler's own
   * network) or an aborted one proves nothing about the nodes it did not reach.
   */
  complete: boolean;
  /** Every ID with a reachable assessment → 'inconsistent' when any of its assessments is, else 'ok'. */
  reachable: Map<string, 'ok' | 'inconsistent'>;
  /** IDs assessed unreachable and not reachable through another endpoint. */
  unreachable: Set<string>;
  /** Statuses answered by each reachable ID (more than one for a duplicated ID). */
  statuses: Map<string, Status[]>;
}

const cache = new WeakMap<DetectorContext, CrawlView>();

export function crawlView(ctx: DetectorContext): CrawlView {
  const hit = cache.get(ctx);
  if (hit !== undefined) return hit;
  const reachable = new Map<string, 'ok' | 'inconsistent'>();
  const unreachable = new Set<string>();
  for (const a of ctx.analysis.nodes) {
    if (a.reachable) {
      if (reachable.get(a.nodeId) !== 'inconsistent')
        reachable.set(a.nodeId, a.state === 'inconsistent' ? 'inconsistent' : 'ok');
    } else unreachable.add(a.nodeId);
  }
  for (const id of reachable.keys()) unreachable.delete(id);
  const statuses = new Map<string, Status[]>();
  for (const v of ctx.result.visits) {
    if (!v.ok) continue;
    const list = statuses.get(v.status.nodeId);
    if (list === undefined) statuses.set(v.status.nodeId, [v.status]);
    else list.push(v.status);
  }
  const view: CrawlView = { complete: ctx.result.state === 'succeeded', reachable, unreachable, statuses };
  cache.set(ctx, view);
  return view;
}

/**
 * A detector's per-node states from its state entries: every key but `skip` whose value `schema` accepts
 * (others are dropped: a state from an older version starts over). Sliced: 10k parses are tens of ms.
 */
export async function parseStates<T>(
  entries: ReadonlyMap<string, JsonObject>,
  schema: z.ZodType<T>,
  skip?: string,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  await forEachSliced(entries, ([key, value]) => {
    if (key === skip) return;
    const st = schema.safeParse(value);
    if (st.success) out.set(key, st.data);
  });
  return out;
}

/** A node not reached by a complete crawl: unreachable or absent (see CrawlView.complete). */
export function isMissing(view: CrawlView, nodeId: string): boolean {
  return view.complete && !view.reachable.has(nodeId);
}

/** "3.2 min", "45 s", "2.0 h": a short human duration. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** A node ID shortened for details (the full ID is in Signal.nodeId). */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}
