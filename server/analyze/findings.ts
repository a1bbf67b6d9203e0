/** Construction of findings: the record, and short human-readable details (IDs are in the fields). */
import { NEIGHBOR_SLOTS } from '../core/model.js';
import type { Finding, FindingKind, NeighborSlot } from '../core/model.js';
import type { FailedNode, Mismatch } from './collect.js';
import type { RingLayout } from './cycles.js';
import { MIRROR_SLOT } from './slots.js';

/** A finding with only the defined optional fields set (so results compare and serialise cleanly). */
export function finding(
  kind: FindingKind,
  nodeId: string,
  endpoint: string,
  detail: string,
  slot?: NeighborSlot,
  reported?: string,
  expected?: string,
): Finding {
  const f: Finding = { kind, nodeId, endpoint, detail };
  if (slot !== undefined) f.slot = slot;
  if (reported !== undefined) f.reported = reported;
  if (expected !== undefined) f.expected = expected;
  return f;
}

/**
 * The detail texts of one analysis with `m` live IDs. A crawl has few distinct texts, so each is built
 * once and shared by every finding that uses it (per-slot texts are indexed like NEIGHBOR_SLOTS).
 */
export interface DetailTexts {
  missing: readonly string[];
  /** wrong_neighbor where the ring order has another node. */
  wrong: readonly string[];
  /** wrong_neighbor in a slot the ring is too small for. */
  extra: readonly string[];
  /** asymmetric: the other side's mirror slot is empty / names another node. */
  asymmetricEmpty: readonly string[];
  asymmetricOther: readonly string[];
  dead(i: number, failed: FailedNode | undefined): string;
  /** Why ring position p is not on the main ring. */
  offRing(layout: RingLayout, p: number): string;
}

export function detailTexts(m: number): DetailTexts {
  const perSlot = (f: (slot: NeighborSlot, mirror: NeighborSlot) => string): string[] =>
    NEIGHBOR_SLOTS.map((slot) => f(slot, MIRROR_SLOT[slot]));
  const cache = new Map<string, string>();
  const cached = (key: string, make: () => string): string => {
    let d = cache.get(key);
    if (d === undefined) cache.set(key, (d = make()));
    return d;
  };
  return {
    missing: perSlot((slot) => `${slot} is empty though ${m} nodes are live`),
    wrong: perSlot((slot) => `the ring order of live nodes puts another node in ${slot}`),
    extra: perSlot((slot) => `${slot} is set though only ${m} nodes are live`),
    asymmetricEmpty: perSlot((slot, mirror) => `${slot} names a node whose ${mirror} is empty`),
    asymmetricOther: perSlot((slot, mirror) => `${slot} names a node whose ${mirror} names another node`),
    dead(i, failed) {
      const slot = NEIGHBOR_SLOTS[i]!;
      return failed === undefined
        ? cached(`d${i}`, () => `${slot} points at a node not reached in this crawl`)
        : cached(
            `d${i}${failed.error}`,
            () => `${slot} points at a node whose visit failed (${failed.error})`,
          );
    },
    offRing(layout, p) {
      const { ringOf, endsIn, sizes } = layout;
      const ring = ringOf[p]!;
      const end = endsIn[p]!;
      if (ring > 0) {
        return cached(
          `r${ring}`,
          () => `on ring ${ring} (${sizes[ring]} nodes), apart from the main ring (${sizes[0]} nodes)`,
        );
      }
      if (end >= 0)
        return cached(`e${end}`, () => `R1 chain runs into ring ${end} without returning to this node`);
      return 'R1 chain ends at a missing, dead or self-pointing successor';
    },
  };
}

export function duplicateDetail(others: readonly string[]): string {
  const shown = others.slice(0, 3).join(', ');
  return `the same ID also answered at ${shown}${others.length > 3 ? ` and ${others.length - 3} more` : ''}`;
}

/**
 * One id_mismatch finding per (node, endpoint), sorted by node then endpoint. The node is the ID the
 * endpoint is known by (or, lacking that, the ID it answered with); reported = answered, expected = known.
 */
export function mismatchFindings(mismatches: readonly Mismatch[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const mm of mismatches) {
    const nodeId = mm.expectedId ?? mm.answeredId;
    if (nodeId === undefined) continue;
    const key = `${nodeId} ${mm.endpoint}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const detail =
      mm.expectedId === undefined
        ? 'this endpoint answered with an ID other than the one it is known by'
        : 'this endpoint, known as the ID in "expected", answered as another node';
    out.push(finding('id_mismatch', nodeId, mm.endpoint, detail, undefined, mm.answeredId, mm.expectedId));
  }
  return out.sort((a, b) =>
    a.nodeId !== b.nodeId ? (a.nodeId < b.nodeId ? -1 : 1) : a.endpoint! < b.endpoint! ? -1 : 1,
  );
}
