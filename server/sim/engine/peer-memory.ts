/**
 * What a node remembers about peers beyond its lists: a short blacklist of peers it found dead (second-hand
 * news of them is ignored for blacklistMs, but a blacklisted peer that others keep reporting is verified
 * directly every few seconds), and a few remembered peers (lost ones, probed later: heals partitions).
 */
import type { EngineCtx } from './context.js';
import { BLACK_SLOTS, REMEMBER_SLOTS } from './tables.js';

const VERIFY_EVERY_MS = 3000;

/**
 * Contract: isBlack(x, p, true) additionally queues p for verification (at most once per VERIFY_EVERY_MS);
 * flushSuspects(x) hands the queued peers to onSuspect; remembered peers are returned round-robin.
 */
export interface PeerMemory {
  blacklist: (x: number, p: number) => void;
  isBlack: (x: number, p: number, suspect: boolean) => boolean;
  unblack: (x: number, p: number) => void;
  flushSuspects: (x: number) => void;
  clear: (x: number) => void;
  remember: (x: number, p: number) => void;
  nextRemembered: (x: number) => number;
}

export function createPeerMemory(ctx: EngineCtx, onSuspect: (x: number, p: number) => void): PeerMemory {
  const { t } = ctx;
  const suspects: number[] = [];
  const nowRel = (): number => t.rel(ctx.now());

  function isBlack(x: number, p: number, suspect: boolean): boolean {
    const base = x * BLACK_SLOTS;
    const now = nowRel();
    for (let s = 0; s < BLACK_SLOTS; s++) {
      if (t.black[base + s] !== p || t.blackUntil[base + s]! <= now) continue;
      if (suspect && t.blackVerify[base + s]! <= now) {
        t.blackVerify[base + s] = now + VERIFY_EVERY_MS;
        suspects.push(p);
      }
      return true;
    }
    return false;
  }

  function unblack(x: number, p: number): void {
    const base = x * BLACK_SLOTS;
    for (let s = 0; s < BLACK_SLOTS; s++) if (t.black[base + s] === p) t.black[base + s] = -1;
  }

  return {
    blacklist: (x, p) => {
      if (ctx.opts.blacklistMs <= 0) return;
      const base = x * BLACK_SLOTS;
      const now = nowRel();
      let slot = 0;
      let oldest = Infinity;
      for (let s = 0; s < BLACK_SLOTS; s++) {
        const e = t.black[base + s]!;
        const until = t.blackUntil[base + s]!;
        if (e === p) {
          slot = s;
          break;
        }
        const score = e < 0 || until <= now ? -1 : until;
        if (score < oldest) {
          oldest = score;
          slot = s;
        }
      }
      t.black[base + slot] = p;
      t.blackUntil[base + slot] = now + ctx.opts.blacklistMs;
      t.blackVerify[base + slot] = now + VERIFY_EVERY_MS;
    },
    isBlack,
    unblack,
    flushSuspects: (x) => {
      while (suspects.length) onSuspect(x, suspects.pop()!);
    },
    clear: (x) => {
      t.black.fill(-1, x * BLACK_SLOTS, (x + 1) * BLACK_SLOTS);
      t.rem.fill(-1, x * REMEMBER_SLOTS, (x + 1) * REMEMBER_SLOTS);
      t.remPos[x] = 0;
    },
    remember: (x, p) => {
      const base = x * REMEMBER_SLOTS;
      for (let s = 0; s < REMEMBER_SLOTS; s++) if (t.rem[base + s] === p) return;
      const w = t.remPos[x]! & 15; // low nibble: write position, high nibble: read position
      t.rem[base + (w % REMEMBER_SLOTS)] = p;
      t.remPos[x] = (t.remPos[x]! & 0xf0) | ((w + 1) % REMEMBER_SLOTS);
    },
    nextRemembered: (x) => {
      const base = x * REMEMBER_SLOTS;
      const r = t.remPos[x]! >> 4;
      for (let s = 0; s < REMEMBER_SLOTS; s++) {
        const pos = (r + s) % REMEMBER_SLOTS;
        const p = t.rem[base + pos]!;
        if (p >= 0) {
          t.remPos[x] = (t.remPos[x]! & 15) | (((pos + 1) % REMEMBER_SLOTS) << 4);
          return p;
        }
      }
      return -1;
    },
  };
}
