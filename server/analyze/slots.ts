/** The four near-neighbour slots of Brunet's congruence checks, and how a status fills them. */
import type { Status } from '../../node-agent/schema.js';
import { NEIGHBOR_SLOTS } from '../core/model.js';
import type { NeighborSlot, SlotMap } from '../core/model.js';

/** The slot whose value must name X back when X names a node in `slot` (X.R1 = Y ⇒ Y.L1 = X). */
export const MIRROR_SLOT: Readonly<Record<NeighborSlot, NeighborSlot>> = {
  L1: 'R1',
  L2: 'R2',
  R1: 'L1',
  R2: 'L2',
};

/** The ID a status names in `slot`, or undefined when its list is too short. */
export function reportedId(status: Status, slot: NeighborSlot): string | undefined {
  switch (slot) {
    case 'L1':
      return status.ring.left[0]?.id;
    case 'L2':
      return status.ring.left[1]?.id;
    case 'R1':
      return status.ring.right[0]?.id;
    case 'R2':
      return status.ring.right[1]?.id;
  }
}

/**
 * A SlotMap of the slots whose value is defined; the arguments are the values of L1, L2, R1, R2.
 * All four defined (the usual case) makes one object literal of a single shape.
 */
export function slotMap<T>(
  a: T | undefined,
  b: T | undefined,
  c: T | undefined,
  d: T | undefined,
): SlotMap<T> {
  if (a !== undefined && b !== undefined && c !== undefined && d !== undefined)
    return { L1: a, L2: b, R1: c, R2: d };
  const out: SlotMap<T> = {};
  const values = [a, b, c, d];
  for (let i = 0; i < 4; i++) if (values[i] !== undefined) out[NEIGHBOR_SLOTS[i]!] = values[i];
  return out;
}
