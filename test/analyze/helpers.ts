/** Fixtures for ring-analysis tests: valid status documents and visits from {id, left, right}. */
import assert from 'node:assert/strict';
import { StatusSchema } from '../../node-agent/schema.js';
import type { Neighbor, Status } from '../../node-agent/schema.js';
import type { RingAnalysis, Visit, VisitErrorKind } from '../../server/core/model.js';

/** A deterministic 40-hex node ID from a small number (or any bigint below 2^160). */
export function nodeId(n: number | bigint): string {
  return n.toString(16).padStart(40, '0');
}

/** The endpoint a test node serves at; `tag` makes a second machine answering with the same ID. */
export function endpointOf(id: string, tag = 0): string {
  return `http://10.0.0.1:7946/n/${id}${tag === 0 ? '' : `/${tag}`}`;
}

/** What a node reports: IDs of its predecessors and successors, closest first. */
export interface NodeSpec {
  id: string;
  left?: readonly string[];
  right?: readonly string[];
  /** Self endpoint; default endpointOf(id). */
  endpoint?: string;
}

export function makeStatus(spec: NodeSpec): Status {
  const nb = (id: string): Neighbor => ({ id, endpoint: endpointOf(id) });
  return {
    schema: 1,
    nodeId: spec.id,
    endpoint: spec.endpoint ?? endpointOf(spec.id),
    version: 'test-1',
    startedAt: '2026-01-15T09:00:00.000Z',
    now: '2026-01-15T09:30:00.000Z',
    ring: { left: (spec.left ?? []).map(nb), right: (spec.right ?? []).map(nb) },
    connections: [],
    traffic: { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 },
    process: { rssBytes: 0, heapUsedBytes: 0, cpuSeconds: 0, eventLoopLagMs: 0 },
    queue: { depth: 0 },
    threads: [],
  };
}

/** makeStatus, validated against the schema (throws on an invalid document). */
export function validStatus(spec: NodeSpec): Status {
  return StatusSchema.parse(makeStatus(spec));
}

const base = { startedAt: 1_700_000_000_000, durationMs: 5, attempts: 1 };

/** A successful visit; `visited` is the URL the crawler used (default: the self endpoint). */
export function okVisit(spec: NodeSpec, visited?: string, validate = true): Visit {
  const status = validate ? validStatus(spec) : makeStatus(spec);
  return { ...base, ok: true, endpoint: visited ?? status.endpoint, expectedId: spec.id, status };
}

/** A failed visit of the node known as `expectedId` (undefined: an endpoint with no known identity). */
export function failVisit(
  expectedId: string | undefined,
  error: VisitErrorKind = 'timeout',
  endpoint?: string,
): Visit {
  const v: Visit = {
    ...base,
    ok: false,
    endpoint: endpoint ?? endpointOf(expectedId ?? nodeId(0xdead)),
    error,
    detail: error,
  };
  if (expectedId !== undefined) v.expectedId = expectedId;
  return v;
}

/** An id_mismatch visit: `endpoint` is known as `expectedId` but answered with `answered`. */
export function mismatchVisit(expectedId: string | undefined, answered: NodeSpec, endpoint?: string): Visit {
  const v: Visit = {
    ...base,
    ok: false,
    endpoint: endpoint ?? endpointOf(expectedId ?? answered.id),
    error: 'id_mismatch',
    detail: 'answered with another node ID',
    status: validStatus(answered),
  };
  if (expectedId !== undefined) v.expectedId = expectedId;
  return v;
}

/**
 * Correct views of a ring of `ids` (any order): each side holds the min(k, n - 1) closest other nodes,
 * never the node itself, so 2 nodes have L1 = R1 and 3 nodes have L2 = R1.
 */
export function ringSpecs(ids: readonly string[], k = 2): NodeSpec[] {
  const sorted = [...ids].sort();
  const n = sorted.length;
  const side = Math.min(k, n - 1);
  return sorted.map((id, i) => ({
    id,
    left: Array.from({ length: side }, (_, j) => sorted[(i - j - 1 + n * 4) % n]!),
    right: Array.from({ length: side }, (_, j) => sorted[(i + j + 1) % n]!),
  }));
}

/** Findings as sorted "kind nodeId slot" strings, the node ID written as a decimal number. */
export function findingKeys(a: RingAnalysis): string[] {
  return a.findings.map((f) => `${f.kind} ${BigInt('0x' + f.nodeId)} ${f.slot ?? '-'}`).sort();
}

/** Asserts that the analysis has the finding "kind nodeId slot" (see findingKeys). */
export function assertFinding(a: RingAnalysis, key: string): void {
  const keys = findingKeys(a);
  if (!keys.includes(key))
    throw new assert.AssertionError({ message: `no finding ${key} in ${keys.join('; ')}` });
}

/** The assessment of `id` (the first one, for a duplicated ID). */
export function nodeOf(a: RingAnalysis, id: string, endpoint?: string) {
  const n = a.nodes.find((x) => x.nodeId === id && (endpoint === undefined || x.endpoint === endpoint));
  if (n === undefined) throw new Error(`no assessment for ${id}`);
  return n;
}
