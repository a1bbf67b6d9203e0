/**
 * 160-bit node IDs and ring arithmetic. The full ID is a bigint (and 40-char lowercase hex for reporting);
 * hot-path ring arithmetic uses the ID's top 53 bits as an exact integer-valued double ("key"), which keeps
 * the ring order of distinct random IDs (a top-53-bit collision among 10^5 random IDs has probability ~1e-6).
 */
import type { Prng } from './prng.js';

export const ID_BITS = 160n;
/** Number of distinct keys on the ring (2^53); keys are integers in [0, KEY_SPACE). */
export const KEY_SPACE = 2 ** 53;
const KEY_SHIFT = ID_BITS - 53n;

/** A uniformly random 160-bit ID drawn from the stream. */
export function randomId(rng: Prng): bigint {
  let id = 0n;
  for (let i = 0; i < 5; i++) id = (id << 32n) | BigInt(rng.u32());
  return id;
}

export function idHex(id: bigint): string {
  return id.toString(16).padStart(40, '0');
}

/** Parses a 40-char hex ID; undefined when malformed. */
export function parseIdHex(hex: string): bigint | undefined {
  return /^[0-9a-f]{40}$/.test(hex) ? BigInt('0x' + hex) : undefined;
}

/** The ring key (top 53 bits, exact) of an ID. */
export function idKey(id: bigint): number {
  return Number(id >> KEY_SHIFT);
}

/** Clockwise distance from key a to key b, in [0, KEY_SPACE). */
export function cw(a: number, b: number): number {
  const d = b - a;
  return d < 0 ? d + KEY_SPACE : d;
}

/** (key + offset) mod KEY_SPACE for 0 <= offset < KEY_SPACE, rounded to an integer key. */
export function addKey(key: number, offset: number): number {
  const off = Math.floor(offset);
  const room = KEY_SPACE - key; // exact: both operands are integers below 2^53
  return off >= room ? off - room : key + off;
}
