/**
 * Which edges the ring drawing shows as elements, pure. An agreed ring link (A.R1 = B and B.L1 = A) is
 * one line, drawn as the right-slot edge; a left-slot edge gets its own line only when its mirror is
 * missing (a disagreement) or its kind is hidden. Large rings draw only L1/R1 by default.
 */
import type { EdgeKind, TopologyEdge } from '../types.js';
import type { RingModel } from './model.js';

export const RING_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['L1', 'R1']);

export interface DrawPolicy {
  kinds: ReadonlySet<EdgeKind>;
  /** Large ring: only RING_KINDS by default. */
  big: boolean;
}

const RIGHT_OF: Partial<Record<EdgeKind, EdgeKind>> = { L1: 'R1', L2: 'R2' };
const LEFT_OF: Partial<Record<EdgeKind, EdgeKind>> = { R1: 'L1', R2: 'L2' };

/** Whether edge kind `k` is drawn by default under the policy. */
const kindDrawn = (k: EdgeKind, p: DrawPolicy) => p.kinds.has(k) && (!p.big || RING_KINDS.has(k));

/** A left-slot edge whose right-slot mirror is in the model and drawn: the pair is one line. */
export function shownByMirror(m: RingModel, e: TopologyEdge, p: DrawPolicy): boolean {
  const right = RIGHT_OF[e.kind];
  return right !== undefined && kindDrawn(right, p) && m.edges.has(`${e.to}|${e.from}|${right}|`);
}

/** Drawable at all: both ends known, not a loop, kind enabled. */
export function drawable(m: RingModel, e: TopologyEdge, p: DrawPolicy): boolean {
  return p.kinds.has(e.kind) && e.from !== e.to && m.nodes.has(e.from) && m.nodes.has(e.to);
}

/** Drawn as its own element without hover or selection. */
export function drawnByDefault(m: RingModel, e: TopologyEdge, p: DrawPolicy): boolean {
  return drawable(m, e, p) && kindDrawn(e.kind, p) && !shownByMirror(m, e, p);
}

/** The left-slot mirror (to → from) of a right-slot edge, if the model has it. */
export function leftMirror(m: RingModel, e: TopologyEdge): TopologyEdge | undefined {
  const left = LEFT_OF[e.kind];
  return left ? m.edges.get(`${e.to}|${e.from}|${left}|`) : undefined;
}
