/**
 * Per-node assessment: Brunet's four mirror checks, the score, the crawl state and the node's findings.
 * The hot path of the analysis: a neighbour where the ring order expects it costs one string comparison
 * (no hashing, no search); any other neighbour a binary search over the sorted live IDs.
 */
import type { Status } from '../../node-agent/schema.js';
import { NEIGHBOR_SLOTS } from '../core/model.js';
import type { Finding, NodeAssessment } from '../core/model.js';
import type { FailedNode, LiveNode } from './collect.js';
import type { RingLayout } from './cycles.js';
import { duplicateDetail, finding } from './findings.js';
import type { DetailTexts } from './findings.js';
import { indexOfId } from './order.js';
import { MIRROR_SLOT, reportedId, slotMap } from './slots.js';

/** What the per-node pass reads (built once per analysis) and where it writes findings. */
export interface AssessCtx {
  /** Distinct live IDs ascending: the true ring order. */
  ids: readonly string[];
  /** The representative status of each live ID: the target of other nodes' checks. */
  rep: readonly Status[];
  failed: ReadonlyMap<string, FailedNode>;
  layout: RingLayout;
  findings: Finding[];
  texts: DetailTexts;
}

const MIRRORS = NEIGHBOR_SLOTS.map((slot) => MIRROR_SLOT[slot]);
// A slot's outcome, as bits: the check (absent / true / false) and whether the slot is faulty.
const CHECK_TRUE = 1;
const CHECK_FALSE = 2;
const FAULT = 4;

/** Checks slot i of `node`, which reports `r` where the ring order has ids[ePos] (ePos -1: no slot). */
function checkSlot(ctx: AssessCtx, node: LiveNode, i: number, r: string | undefined, ePos: number): number {
  const { ids, findings, texts } = ctx;
  const slot = NEIGHBOR_SLOTS[i]!;
  const e = ePos >= 0 ? ids[ePos] : undefined;
  if (r === undefined) {
    if (e === undefined) return 0; // the ring is too small for this slot: satisfied, no data
    findings.push(finding('missing_neighbor', node.id, node.endpoint, texts.missing[i]!, slot, r, e));
    return CHECK_FALSE | FAULT;
  }
  const tp = r === e ? ePos : indexOfId(ids, r);
  if (tp < 0) {
    const detail = texts.dead(i, ctx.failed.get(r));
    findings.push(finding('dead_neighbor', node.id, node.endpoint, detail, slot, r, e));
    return (e === undefined ? 0 : CHECK_FALSE) | FAULT;
  }
  let out = 0;
  if (tp !== ePos) {
    const detail = e === undefined ? texts.extra[i]! : texts.wrong[i]!;
    findings.push(finding('wrong_neighbor', node.id, node.endpoint, detail, slot, r, e));
    out = FAULT;
  }
  if (e === undefined) return out;
  const back = reportedId(ctx.rep[tp]!, MIRRORS[i]!);
  if (back === node.id) return out | CHECK_TRUE;
  const detail = back === undefined ? texts.asymmetricEmpty[i]! : texts.asymmetricOther[i]!;
  findings.push(finding('asymmetric', node.id, node.endpoint, detail, slot, r, back));
  return out | CHECK_FALSE;
}

const checkOf = (c: number): boolean | undefined =>
  c & CHECK_TRUE ? true : c & CHECK_FALSE ? false : undefined;
const failedOf = (c: number): number => (c & CHECK_FALSE ? 1 : 0);

/**
 * Contract: assesses the live node at ring position p (ids[p] === node.id) and appends its findings
 * (duplicate_id when `twins` — all nodes answering as this ID — has more than one, off_ring, then per
 * slot L1, L2, R1, R2: missing/dead/wrong, asymmetric). score = (4 - failed checks) / 4 (Brunet's
 * measure, so a neighbour of a faulty node loses score too); state is inconsistent only when the node's
 * OWN view is wrong (a slot missing, dead or wrong), so one stale pointer flags one node, not three.
 */
export function assessLive(
  ctx: AssessCtx,
  node: LiveNode,
  p: number,
  twins?: readonly LiveNode[],
): NodeAssessment {
  const { ids, findings, layout } = ctx;
  const { id, endpoint, status } = node;
  const m = ids.length;
  if (twins !== undefined && twins.length > 1) {
    const others = twins.filter((t) => t !== node).map((t) => t.endpoint);
    findings.push(finding('duplicate_id', id, endpoint, duplicateDetail(others)));
  }
  const ring = layout.ringOf[p]!;
  if (ring !== 0) findings.push(finding('off_ring', id, endpoint, ctx.texts.offRing(layout, p)));

  const { left, right } = status.ring;
  const r0 = left[0]?.id;
  const r1 = left[1]?.id;
  const r2 = right[0]?.id;
  const r3 = right[1]?.id;
  const e0 = m >= 2 ? (p - 1 + m) % m : -1;
  const e1 = m >= 3 ? (p - 2 + m) % m : -1;
  const e2 = m >= 2 ? (p + 1) % m : -1;
  const e3 = m >= 3 ? (p + 2) % m : -1;
  const c0 = checkSlot(ctx, node, 0, r0, e0);
  const c1 = checkSlot(ctx, node, 1, r1, e1);
  const c2 = checkSlot(ctx, node, 2, r2, e2);
  const c3 = checkSlot(ctx, node, 3, r3, e3);
  const score = (4 - failedOf(c0) - failedOf(c1) - failedOf(c2) - failedOf(c3)) / 4;

  const a: NodeAssessment = {
    nodeId: id,
    endpoint,
    reachable: true,
    state: (c0 | c1 | c2 | c3) & FAULT ? 'inconsistent' : 'ok',
    score,
    checks: slotMap(checkOf(c0), checkOf(c1), checkOf(c2), checkOf(c3)),
    reported: slotMap(r0, r1, r2, r3),
    expected: slotMap(ids[e0], ids[e1], ids[e2], ids[e3]),
  };
  if (ring >= 0) a.ring = ring;
  return a;
}

/** The assessment of a node known only by a failed visit. */
export function assessUnreachable(f: FailedNode): NodeAssessment {
  return {
    nodeId: f.id,
    endpoint: f.endpoint,
    reachable: false,
    state: 'unreachable',
    score: null,
    checks: {},
    reported: {},
    expected: {},
  };
}
