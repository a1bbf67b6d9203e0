/**
 * Stable integer codes for the closed vocabularies of the model, and the small encodings used in rows.
 * Codes are part of the on-disk format: never renumber; append new values at the end.
 */
import type { ConnectionKind } from '../../node-agent/schema.js';
import type { CrawlNodeState, FindingKind, NeighborSlot, SlotMap, VisitErrorKind } from '../core/model.js';

export const NODE_STATE = { ok: 0, inconsistent: 1, unreachable: 2 } as const satisfies Record<
  CrawlNodeState,
  number
>;

export const VISIT_ERROR = {
  timeout: 0,
  refused: 1,
  reset: 2,
  unreachable: 3,
  http_status: 4,
  bad_json: 5,
  schema: 6,
  too_large: 7,
  id_mismatch: 8,
  not_allowed: 9,
  redirect: 10,
  tls: 11,
  protocol: 12,
} as const satisfies Record<VisitErrorKind, number>;

export const FINDING_KIND = {
  asymmetric: 0,
  wrong_neighbor: 1,
  dead_neighbor: 2,
  missing_neighbor: 3,
  duplicate_id: 4,
  id_mismatch: 5,
  off_ring: 6,
} as const satisfies Record<FindingKind, number>;

export const SLOT = { L1: 0, L2: 1, R1: 2, R2: 3 } as const satisfies Record<NeighborSlot, number>;
export const SLOTS: readonly NeighborSlot[] = ['L1', 'L2', 'R1', 'R2'];

export const CONNECTION_KIND = { near: 0, shortcut: 1, relay: 2, leaf: 3 } as const satisfies Record<
  ConnectionKind,
  number
>;

/** Encoder and decoder for one vocabulary; decoding an unknown code throws (the DB is newer or corrupt). */
export interface Codec<K extends string> {
  code(value: K): number;
  value(code: number): K;
}

function codec<K extends string>(name: string, table: Record<K, number>): Codec<K> {
  const back = new Map<number, K>();
  for (const [k, v] of Object.entries(table) as [K, number][]) back.set(v, k);
  return {
    code: (value) => {
      const c = table[value];
      if (c === undefined) throw new Error(`unknown ${name} ${String(value)}`);
      return c;
    },
    value: (code) => {
      const v = back.get(code);
      if (v === undefined) throw new Error(`unknown ${name} code ${code} in the database`);
      return v;
    },
  };
}

export const nodeStates = codec<CrawlNodeState>('node state', NODE_STATE);
export const visitErrors = codec<VisitErrorKind>('visit error kind', VISIT_ERROR);
export const findingKinds = codec<FindingKind>('finding kind', FINDING_KIND);
export const slots = codec<NeighborSlot>('neighbour slot', SLOT);
export const connectionKinds = codec<ConnectionKind>('connection kind', CONNECTION_KIND);

const NODE_ID = /^[0-9a-f]{40}$/;

/** True for a 160-bit node ID (40 lowercase hex); anything else is treated as an endpoint key. */
export function isNodeId(s: string | undefined | null): s is string {
  return typeof s === 'string' && NODE_ID.test(s);
}

/** Mirror-check results as 2 bits per slot (0 absent, 1 congruent, 2 not congruent). */
export function encodeChecks(checks: SlotMap<boolean>): number {
  let out = 0;
  for (const [i, slot] of SLOTS.entries()) {
    const c = checks[slot];
    if (c !== undefined) out += (c ? 1 : 2) * 4 ** i;
  }
  return out;
}

export function decodeChecks(bits: number | null): SlotMap<boolean> {
  const out: SlotMap<boolean> = {};
  if (bits === null) return out;
  for (const [i, slot] of SLOTS.entries()) {
    const c = Math.floor(bits / 4 ** i) % 4;
    if (c === 1) out[slot] = true;
    else if (c === 2) out[slot] = false;
  }
  return out;
}

/** Bit i for thread i stalled; threads at index >= 52 share bit 52 (stays a safe JS integer). */
export function encodeStalled(states: readonly { state: string }[]): number {
  let out = 0;
  let overflow = false;
  for (const [i, t] of states.entries()) {
    if (t.state !== 'stalled') continue;
    if (i < 52) out += 2 ** i;
    else overflow = true;
  }
  return overflow ? out + 2 ** 52 : out;
}

export function decodeStalled(mask: number | null, names: readonly string[]): string[] {
  if (!mask) return [];
  const out: string[] = [];
  for (let i = 0; i < 52 && i < names.length; i++)
    if (Math.floor(mask / 2 ** i) % 2 === 1) out.push(names[i]!);
  if (mask >= 2 ** 52) out.push('threads[52+]');
  return out;
}

/** An integer column value from a number that may be fractional or out of range (NULL then). */
export function int(n: number | null | undefined): number | null {
  if (n === null || n === undefined || !Number.isFinite(n)) return null;
  const r = Math.round(n);
  return Number.isSafeInteger(r) ? r : null;
}
