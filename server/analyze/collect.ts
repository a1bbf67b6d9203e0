/**
 * First stage of ring analysis: sort one crawl's visits into live nodes in ring order (grouped by ID),
 * failed identities and ID mismatches. Pure: no I/O, no clock; O(V log V) for V visits.
 */
import type { Status } from '../../node-agent/schema.js';
import type { Visit, VisitErrorKind } from '../core/model.js';
import { sortByHexId } from './order.js';

/**
 * Which endpoint identifies a live node, so that two visits of one node count once:
 * - 'self' (default): the endpoint the node's status names as its own. One node reached through two
 *   URLs (public and private address) is one node.
 * - 'visited': the URL the crawler visited. Use it when nodes behind NAT report the same private
 *   self endpoint although they are distinct machines.
 */
export type IdentityEndpoint = 'self' | 'visited';

/** A live node: a successful visit's status, identified by (id, endpoint). */
export interface LiveNode {
  id: string;
  /** The identity endpoint (see IdentityEndpoint). */
  endpoint: string;
  status: Status;
}

/** An identity whose visit failed: the expected ID and the (smallest) endpoint it was tried at. */
export interface FailedNode {
  id: string;
  endpoint: string;
  error: VisitErrorKind;
}

/** An endpoint that answered as `answeredId` although it is known as `expectedId`. */
export interface Mismatch {
  endpoint: string;
  expectedId?: string;
  answeredId?: string;
}

/**
 * Contract: `ids` are the distinct live IDs ascending (the true ring order). `nodes` holds one entry
 * per (id, endpoint) — the first successful visit in input order wins — sorted by id, then endpoint;
 * nodes[start[p]] .. nodes[start[p + 1] - 1] answer as ids[p] (more than one: a duplicated ID; the
 * first, smallest endpoint, is the representative that other nodes' checks and the R1 structure use).
 * `failed` holds every expectedId of a failed visit with its smallest endpoint, also IDs that are live
 * through another visit (callers decide). A failed visit without expectedId identifies no node (it can
 * still be a mismatch). id_mismatch visits never make a node live.
 */
export interface CollectedVisits {
  ids: string[];
  nodes: LiveNode[];
  start: Int32Array;
  failed: Map<string, FailedNode>;
  mismatches: Mismatch[];
}

export function collectVisits(
  visits: readonly Visit[],
  identity: IdentityEndpoint = 'self',
): CollectedVisits {
  const all: LiveNode[] = [];
  const failed = new Map<string, FailedNode>();
  const mismatches: Mismatch[] = [];

  for (const v of visits) {
    if (v.ok) {
      const endpoint = identity === 'self' ? v.status.endpoint : v.endpoint;
      all.push({ id: v.status.nodeId, endpoint, status: v.status });
      continue;
    }
    if (v.error === 'id_mismatch') {
      mismatches.push({ endpoint: v.endpoint, expectedId: v.expectedId, answeredId: v.status?.nodeId });
    }
    if (v.expectedId !== undefined) {
      const prev = failed.get(v.expectedId);
      if (prev === undefined || v.endpoint < prev.endpoint) {
        failed.set(v.expectedId, { id: v.expectedId, endpoint: v.endpoint, error: v.error });
      }
    }
  }

  const byEndpoint = (i: number, j: number): number => {
    const a = all[i]!.endpoint;
    const b = all[j]!.endpoint;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  const order = sortByHexId(
    all.map((x) => x.id),
    byEndpoint,
  );
  const ids: string[] = [];
  const nodes: LiveNode[] = [];
  const starts: number[] = [];
  let prev: LiveNode | undefined;
  for (let k = 0; k < order.length; k++) {
    const x = all[order[k]!]!;
    if (prev !== undefined && prev.id === x.id) {
      if (prev.endpoint === x.endpoint) continue; // the same node again: the earlier visit sorted first
    } else {
      ids.push(x.id);
      starts.push(nodes.length);
    }
    nodes.push(x);
    prev = x;
  }
  starts.push(nodes.length);
  return { ids, nodes, start: Int32Array.from(starts), failed, mismatches };
}
