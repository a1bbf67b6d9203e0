/**
 * Routed lookups: greedy "closest preceding node" routing over a node's own view (near lists, shortcuts
 * and other connections), hop by hop with one-way delays. Used to join (from a bootstrap peer), to recover
 * an empty side, to find Symphony shortcut targets and to probe remembered peers (which heals partitions).
 */
import type { EngineCtx } from './context.js';
import { TH_ROUTING } from './context.js';
import { addKey, cw, KEY_SPACE } from './ids.js';
import type { Links } from './links.js';
import type { Net } from './net.js';
import { MT, RQ } from './net.js';
import {
  BOOT_SLOTS,
  F_PENDING,
  K_LEAF,
  K_SHORTCUT,
  P_JOIN,
  P_PROBE,
  P_RECOVER,
  P_SHORTCUT,
} from './tables.js';
import type { ListsMsg, Views } from './views.js';

const MAX_HOPS = 64;

/** A routed lookup in flight: target key, origin node and the origin's request code for the answer. */
export class LookupMsg {
  constructor(
    readonly target: number,
    readonly origin: number,
    readonly code: number,
    public hops: number,
  ) {}
}

/**
 * Contract: a lookup is answered by the first node that knows no peer (other than the origin) closer
 * before the target than itself; the answer carries that node's lists. Every hop is acknowledged
 * (HOP_ACK); a hop that times out marks the next node dead and the lookup is re-routed around it. A
 * lookup that still gets lost surfaces as a timeout at the origin (lookupTimeoutMs).
 */
export interface Lookups {
  /** Next hop from x toward target (-1: x is responsible). When `any`, the closest preceding peer even if
   * it is not closer than x itself (used to start a lookup for x's own key). */
  bestHop(x: number, target: number, exclude: number, any: boolean): number;
  /** Starts a join through a bootstrap peer (force: abandon a pending join and try another peer). */
  startJoin(x: number, force?: boolean): void;
  /** The bootstrap peer of x's pending join, or -1. */
  joiningVia(x: number): number;
  startRecover(x: number): void;
  startShortcut(x: number): void;
  /** A Symphony target key for x: own key + n^(u-1) of the ring, n estimated from x's neighbour spacing
   * (-1 when a list is empty). */
  shortcutTarget(x: number): number;
  startProbe(x: number): void;
  onLookup(y: number, from: number, hopCode: number, msg: unknown): void;
  /** A hop was not acknowledged (the protocol already declared `next` dead): re-route. */
  onHopTimeout(y: number, msg: unknown): void;
  onReply(x: number, y: number, yver: number, code: number, lists: ListsMsg): void;
  onTimeout(x: number, purpose: number, extra: number): void;
}

export function createLookups(
  ctx: EngineCtx,
  views: Views,
  net: Net,
  links: Links,
  listsChanged: (x: number) => void,
): Lookups {
  const { t, stats, opts } = ctx;
  const k = t.k;
  const attempts = new Uint8Array(t.n);
  /** Join attempt number (sent as the request's extra, so a stale timeout is recognised) and its peer. */
  const joinSeq = new Uint32Array(t.n);
  const joinVia = new Int32Array(t.n).fill(-1);

  function start(
    x: number,
    first: number,
    target: number,
    purpose: number,
    flag: number,
    extra: number,
  ): void {
    t.pend[x] = t.pend[x]! | flag;
    stats.lookups++;
    const code = net.open(x, first, purpose, extra);
    net.request(x, first, MT.LOOKUP, RQ.HOP, 0, new LookupMsg(target, x, code, 0));
  }

  /** Forwards msg from y (or answers it when y is responsible). */
  function route(y: number, msg: LookupMsg): void {
    const next = bestHop(y, msg.target, msg.origin, false);
    if (next < 0) {
      net.send(y, msg.origin, MT.LOOKUP_REPLY, msg.code, views.payload(y));
      return;
    }
    if (++msg.hops > MAX_HOPS) return; // lost: the origin times out and retries
    net.request(y, next, MT.LOOKUP, RQ.HOP, 0, msg);
  }

  function bestHop(x: number, target: number, exclude: number, any: boolean): number {
    let best = -1;
    let bestD = any ? Infinity : cw(t.key[x]!, target);
    const base = x * k;
    // near lists, then established connections (shortcuts etc.); no closure in this hot path
    for (let j = 0; j < 2 * k; j++) {
      const left = j < k;
      const slot = base + (left ? j : j - k);
      const c = (left ? t.left : t.right)[slot]!;
      if (c < 0 || c === exclude || c === x) continue;
      const d = cw((left ? t.leftKey : t.rightKey)[slot]!, target);
      if (d < bestD || (d === bestD && c < best)) {
        bestD = d;
        best = c;
      }
    }
    for (let r = t.head[x]!; r >= 0; r = t.cNext[r]!) {
      if (t.cFlags[r]! & F_PENDING) continue;
      const c = t.cPeer[r]!;
      if (c === exclude || c === x) continue;
      const d = cw(t.keyOf(c, t.cPeerVer[r]!), target);
      if (d < bestD || (d === bestD && c < best)) {
        bestD = d;
        best = c;
      }
    }
    return best;
  }

  /** A bootstrap candidate: alternately a remembered peer and the next configured bootstrap peer. */
  function bootstrapPeer(x: number): number {
    const a = attempts[x]!;
    attempts[x] = (a + 1) & 0xff;
    if (a % 2 === 1) {
      const p = views.nextRemembered(x);
      if (p >= 0 && p !== x) return p;
    }
    for (let s = 0; s < BOOT_SLOTS; s++) {
      const pos = (t.bootPos[x]! + s) % BOOT_SLOTS;
      const p = t.boot[x * BOOT_SLOTS + pos]!;
      if (p >= 0 && p !== x) {
        t.bootPos[x] = (pos + 1) % BOOT_SLOTS;
        return p;
      }
    }
    return views.nextRemembered(x);
  }

  const lookups: Lookups = {
    bestHop,
    startJoin(x, force) {
      if (t.pend[x]! & P_JOIN && !force) return;
      const b = bootstrapPeer(x);
      if (b < 0) return;
      links.connect(x, b, t.ver[b]!, K_LEAF);
      joinSeq[x] = joinSeq[x]! + 1;
      joinVia[x] = b;
      start(x, b, t.key[x]!, RQ.JOIN, P_JOIN, joinSeq[x]);
    },
    joiningVia: (x) => (t.pend[x]! & P_JOIN ? joinVia[x]! : -1),
    startRecover(x) {
      if (t.pend[x]! & (P_RECOVER | P_JOIN)) return;
      const first = bestHop(x, t.key[x]!, x, true);
      if (first < 0) lookups.startJoin(x);
      else start(x, first, t.key[x]!, RQ.RECOVER, P_RECOVER, 0);
    },
    startShortcut(x) {
      if (t.pend[x]! & P_SHORTCUT) return;
      const target = lookups.shortcutTarget(x);
      if (target < 0) return;
      const first = bestHop(x, target, -1, false);
      if (first < 0) return; // x itself precedes the target: the "shortcut" would be a near neighbour
      start(x, first, target, RQ.SHORTCUT, P_SHORTCUT, target);
    },
    shortcutTarget(x) {
      const base = x * k;
      let nl = 0;
      let nr = 0;
      while (nl < k && t.left[base + nl]! >= 0) nl++;
      while (nr < k && t.right[base + nr]! >= 0) nr++;
      if (nl === 0 || nr === 0) return -1;
      // estimate n from the node's own neighbour spacing: (nl + nr) gaps span from L_last to R_last
      const lo = t.leftKey[base + nl - 1]!;
      const hi = t.rightKey[base + nr - 1]!;
      const span = cw(lo, hi) || KEY_SPACE;
      const nEst = Math.max(2, ((nl + nr) * KEY_SPACE) / span);
      const frac = Math.pow(nEst, ctx.rng.next() - 1);
      return addKey(t.key[x]!, Math.min(KEY_SPACE - 1, frac * KEY_SPACE));
    },
    startProbe(x) {
      if (t.pend[x]! & (P_PROBE | P_JOIN)) return;
      let p = views.nextRemembered(x);
      if (p < 0) p = t.boot[x * BOOT_SLOTS + (t.bootPos[x]! % BOOT_SLOTS)]!;
      if (p < 0 || p === x) return;
      start(x, p, t.key[x]!, RQ.PROBE, P_PROBE, 0);
    },
    onLookup(y, from, hopCode, payload) {
      if ((t.stallMask[y]! >> TH_ROUTING) & 1) return; // a stalled router neither acknowledges nor forwards
      ctx.beat(y, TH_ROUTING);
      net.send(y, from, MT.HOP_ACK, hopCode);
      route(y, payload as LookupMsg);
    },
    onHopTimeout(y, payload) {
      const msg = payload as LookupMsg;
      if (y !== msg.origin) route(y, msg);
      else {
        const next = bestHop(y, msg.target, msg.origin, true);
        if (next >= 0) net.request(y, next, MT.LOOKUP, RQ.HOP, 0, msg);
      }
    },
    onReply(x, y, yver, code, lists) {
      const s = net.take(code);
      if (s < 0) return;
      const purpose = net.reqPurpose(s);
      const target = net.reqExtra(s);
      const ykey = t.keyOf(y, yver);
      if (purpose === RQ.SHORTCUT) {
        t.pend[x] = t.pend[x]! & ~P_SHORTCUT;
        // the shortcut partner is the successor of the target point: the responder or one of its R list
        let best = y === x ? -1 : y;
        let bestVer = yver;
        let bestD = y === x ? Infinity : cw(target, ykey);
        const e = lists.e;
        for (let j = lists.nl; j < lists.nl + lists.nr; j++) {
          const c = e[3 * j]!;
          const d = cw(target, e[3 * j + 2]!);
          if (c !== x && d < bestD) {
            bestD = d;
            best = c;
            bestVer = e[3 * j + 1]!;
          }
        }
        if (best < 0) return;
        const r = t.findConn(x, best);
        if (r >= 0) links.markShortcut(x, r);
        else links.connect(x, best, bestVer, K_SHORTCUT);
        return;
      }
      const flag = purpose === RQ.JOIN ? P_JOIN : purpose === RQ.RECOVER ? P_RECOVER : P_PROBE;
      if (purpose !== RQ.JOIN || target === joinSeq[x]) t.pend[x] = t.pend[x]! & ~flag;
      if (views.merge(x, y, yver, ykey, lists)) listsChanged(x);
      if (t.joined[x] && opts.shortcuts > 0 && purpose === RQ.JOIN) lookups.startShortcut(x);
    },
    onTimeout(x, purpose, extra) {
      if (purpose === RQ.JOIN && extra !== joinSeq[x]) return; // an abandoned attempt
      const flag =
        purpose === RQ.JOIN
          ? P_JOIN
          : purpose === RQ.RECOVER
            ? P_RECOVER
            : purpose === RQ.PROBE
              ? P_PROBE
              : P_SHORTCUT;
      t.pend[x] = t.pend[x]! & ~flag;
    },
  };
  return lookups;
}
