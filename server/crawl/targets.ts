/**
 * What both crawl strategies share: crawl targets (endpoint + expected ID), the neighbours a status
 * names, node-ID dedupe (alias vs duplicate ID) and the final state of a crawl.
 */
import type { CrawlResult, Visit } from '../core/model.js';
import type { Status } from '../../node-agent/schema.js';
import { boundDetail } from './classify.js';
import { normalizeEndpoint } from './endpoint.js';

/** A normalised endpoint to visit and the ID it should answer with, when one is known. */
export interface Target {
  endpoint: string;
  expectedId?: string;
}

/** An endpoint known from a previous crawl with the ID it answered with. */
export interface KnownNode {
  endpoint: string;
  nodeId: string;
}

const NODE_ID = /^[0-9a-f]{40}$/;

/** Endpoint → ID from the previous crawl (unparseable endpoints or IDs dropped; first entry wins). */
export function knownIndex(known: readonly KnownNode[] | undefined): Map<string, string> {
  const index = new Map<string, string>();
  for (const k of known ?? []) {
    const endpoint = normalizeEndpoint(k.endpoint);
    if (endpoint !== undefined && NODE_ID.test(k.nodeId) && !index.has(endpoint))
      index.set(endpoint, k.nodeId);
  }
  return index;
}

/** A target for `raw`, expecting the known ID if any, else `claimedId`; undefined if it does not parse. */
export function makeTarget(
  raw: string,
  known: ReadonlyMap<string, string>,
  claimedId?: string,
): Target | undefined {
  const endpoint = normalizeEndpoint(raw);
  if (endpoint === undefined) return undefined;
  const expectedId = known.get(endpoint) ?? claimedId;
  return expectedId === undefined ? { endpoint } : { endpoint, expectedId };
}

/**
 * Targets named by a status: ring.left and ring.right (all, at most 16 each by the schema), then at
 * most `maxConnections` connections, in document order; duplicates within the document are removed.
 */
export function neighbourTargets(
  status: Status,
  known: ReadonlyMap<string, string>,
  maxConnections: number,
): Target[] {
  const out: Target[] = [];
  const seen = new Set<string>();
  const add = (endpoint: string, id: string): void => {
    const t = makeTarget(endpoint, known, id);
    if (t && !seen.has(t.endpoint)) {
      seen.add(t.endpoint);
      out.push(t);
    }
  };
  for (const n of status.ring.left) add(n.endpoint, n.id);
  for (const n of status.ring.right) add(n.endpoint, n.id);
  const limit = Math.min(status.connections.length, maxConnections);
  for (let i = 0; i < limit; i++) {
    const c = status.connections[i];
    if (c) add(c.endpoint, c.peerId);
  }
  return out;
}

/**
 * Node-ID dedupe. Contract: `admit(visitedEndpoint, status)` returns 'new' the first time an ID is
 * seen, 'alias' when the ID was seen with the same self-reported endpoint (the same node reached by
 * another URL: not counted twice), and 'duplicate' when it was seen with a different self-reported
 * endpoint (a second node claiming the ID: both kept as evidence).
 */
export interface NodeRegistry {
  admit(status: Status): 'new' | 'alias' | 'duplicate';
}

export function createNodeRegistry(): NodeRegistry {
  const byId = new Map<string, string | string[]>();
  return {
    admit(status) {
      const self = normalizeEndpoint(status.endpoint) ?? status.endpoint;
      const prev = byId.get(status.nodeId);
      if (prev === undefined) {
        byId.set(status.nodeId, self);
        return 'new';
      }
      const list = typeof prev === 'string' ? [prev] : prev;
      if (list.includes(self)) return 'alias';
      if (list.length < 64) byId.set(status.nodeId, [...list, self]);
      return 'duplicate';
    },
  };
}

/** Final state and reason of a crawl from its visits. */
export function conclude(
  visits: readonly Visit[],
  aborted: boolean,
  abortReason: unknown,
  emptyReason: string,
): Pick<CrawlResult, 'state' | 'reason'> {
  if (aborted) {
    const why =
      abortReason instanceof Error ? abortReason.message : typeof abortReason === 'string' ? abortReason : '';
    return { state: 'aborted', reason: boundDetail(why ? `aborted: ${why}` : 'aborted') };
  }
  if (visits.some((v) => v.ok)) return { state: 'succeeded' };
  if (visits.length === 0) return { state: 'failed', reason: emptyReason };
  const byKind = new Map<string, number>();
  for (const v of visits) if (!v.ok) byKind.set(v.error, (byKind.get(v.error) ?? 0) + 1);
  const parts = [...byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`);
  return {
    state: 'failed',
    reason: boundDetail(`no node answered validly (${visits.length} visits: ${parts.join(', ')})`),
  };
}
