/**
 * Ring analysis of one crawl: Brunet's congruence score per node, findings, and the ring structure.
 * Pure (no I/O, no clock) and O(N log N): one sort of the live IDs, then linear passes in which a
 * neighbour where the ring order expects it costs one string comparison and any other a binary search.
 */
import type { NodeAssessment, RingAnalysis, Visit } from '../core/model.js';
import { assessLive, assessUnreachable } from './assess.js';
import type { AssessCtx } from './assess.js';
import { collectVisits } from './collect.js';
import type { IdentityEndpoint } from './collect.js';
import { findRings } from './cycles.js';
import { detailTexts, finding, mismatchFindings } from './findings.js';
import { indexOfId } from './order.js';

export interface AnalyzeOptions {
  /** Which endpoint identifies a live node when deduplicating visits (default 'self'). */
  identity?: IdentityEndpoint;
}

/**
 * Analyses one crawl's visits:
 * - live nodes = successful visits, deduplicated by (ID, identity endpoint); their IDs sorted give the
 *   true ring order and each node's expected L1, L2, R1, R2 (a slot exists when the ring has more
 *   than |offset| live IDs: 1 node has none, 2 have L1/R1 only, 3 have all four with L2 = R1);
 * - per live node, Brunet's four mirror checks (score = satisfied / 4; an empty slot the ring can fill
 *   and a slot naming a non-live node fail; a slot the ring is too small for counts as satisfied) and
 *   findings, one per (node, endpoint, kind, slot); a duplicated ID's checks target its representative
 *   (smallest endpoint), whose R1 also stands for the ID in the ring structure;
 * - rings = cycles of R1 pointers among live IDs (see findRings); every live node not on the main ring
 *   (on a smaller ring, or on a chain that ends or runs into a ring without returning) is off_ring;
 * - unreachable nodes = expectedIds of failed visits that are not live (id_mismatch included);
 * - nodes are in ID order (then endpoint); findings are grouped by node in that order, id_mismatch
 *   findings last; consistency = mean score over live nodes (1 when there are none).
 */
export function analyzeRing(visits: readonly Visit[], opts: AnalyzeOptions = {}): RingAnalysis {
  const { ids, nodes: live, start, failed, mismatches } = collectVisits(visits, opts.identity);
  const m = ids.length;
  const rep = ids.map((_, p) => live[start[p]!]!.status);

  // A ring is what routing would follow: each node's first LIVE successor (R1, else R2, ...), so one dead
  // node on the ring (churn, a crash between two stabilisation rounds) does not make every node off-ring.
  const succ = new Int32Array(m);
  for (let p = 0; p < m; p++) {
    const next = (p + 1) % m;
    succ[p] = -1;
    for (const entry of rep[p]!.ring.right) {
      const q = entry.id === ids[next] ? next : indexOfId(ids, entry.id);
      if (q >= 0 && q !== p) {
        succ[p] = q;
        break;
      }
    }
  }
  const layout = findRings(succ);
  const ctx: AssessCtx = { ids, rep, failed, layout, findings: [], texts: detailTexts(m) };

  const nodes: NodeAssessment[] = [];
  const duplicateIds: string[] = [];
  const offRing: string[] = [];
  const lost = [...failed.keys()].filter((id) => indexOfId(ids, id) < 0).sort();
  let u = 0;
  let scoreSum = 0;
  for (let p = 0; p < m; p++) {
    const id = ids[p]!;
    while (u < lost.length && lost[u]! < id) nodes.push(assessUnreachable(failed.get(lost[u++]!)!));
    if (layout.ringOf[p] !== 0) offRing.push(id);
    const begin = start[p]!;
    const end = start[p + 1]!;
    const twins = end - begin > 1 ? live.slice(begin, end) : undefined;
    if (twins !== undefined) duplicateIds.push(id);
    for (let k = begin; k < end; k++) {
      const a = assessLive(ctx, live[k]!, p, twins);
      scoreSum += a.score!;
      nodes.push(a);
    }
  }
  while (u < lost.length) nodes.push(assessUnreachable(failed.get(lost[u++]!)!));

  const findings = ctx.findings;
  for (const f of mismatchFindings(mismatches)) findings.push(f);
  // An endpoint that answers with the ID of a live node (a liar, or a clone that restarted with another
  // node's ID) is duplicate-ID evidence too, even though it is not trusted as a ring member.
  const claimed = new Map<string, string[]>();
  for (const mm of mismatches) {
    if (mm.answeredId === undefined || indexOfId(ids, mm.answeredId) < 0) continue;
    const eps = claimed.get(mm.answeredId) ?? [];
    if (!eps.includes(mm.endpoint)) eps.push(mm.endpoint);
    claimed.set(mm.answeredId, eps);
  }
  for (const [id, eps] of [...claimed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = indexOfId(ids, id);
    eps.sort();
    if (!duplicateIds.includes(id)) {
      duplicateIds.push(id);
      for (let k = start[p]!; k < start[p + 1]!; k++)
        findings.push(
          finding('duplicate_id', id, live[k]!.endpoint, `this ID is also claimed by ${eps.join(', ')}`),
        );
    }
    for (const ep of eps)
      findings.push(
        finding('duplicate_id', id, ep, 'this endpoint answers with the ID of another live node'),
      );
  }
  duplicateIds.sort();
  return {
    nodes,
    findings,
    consistency: live.length === 0 ? 1 : scoreSum / live.length,
    rings: layout.sizes.length,
    mainRingSize: layout.sizes[0] ?? 0,
    offRing,
    duplicateIds,
  };
}
