/**
 * A node's neighbour view: its L and R candidate lists (closest first; each entry is a peer index with the
 * ID version and ring key the node believes it has), plus the bookkeeping that keeps the view honest
 * without global knowledge: a short blacklist of peers it found dead (so second-hand news cannot
 * resurrect them), remembered peers (for probes after a partition), and stale-neighbor pins.
 */
import type { EngineCtx } from './context.js';
import { cw } from './ids.js';
import { createPeerMemory } from './peer-memory.js';

/** A node's lists as a message carries them: (index, version, key) triples, left side first. */
export class ListsMsg {
  constructor(
    readonly nl: number,
    readonly nr: number,
    /** Plain array: allocating a small JS array is much cheaper than a typed array on the hot path. */
    readonly e: number[],
  ) {}
}

/**
 * Contract: merge keeps, per side, the k closest distinct candidates by believed key (clockwise for the
 * right side, counter-clockwise for the left), never the node itself or a node believed to have its own
 * ID, never a blacklisted peer unless heard from directly; a pinned peer stays first on its side.
 */
export interface Views {
  /** Merges `direct` (a node heard from directly, or -1; its version and key) and the entries of `lists`
   * with the current lists. Returns true when the lists changed. */
  merge(x: number, direct: number, dver: number, dkey: number, lists: ListsMsg | null): boolean;
  /** Re-sorts x's lists (after a pin was set or removed). */
  resort(x: number): void;
  /**
   * Trusts x's neighbour y (its R1 when side is 'right', L1 when 'left') about y's own side beyond it:
   * drops x's entries that lie between y and the farthest entry y reported on that side but that y did not
   * report (y is closer to them and no longer has them: dead or stale); they are blacklisted (and verified
   * directly if others keep reporting them). Returns true when lists changed.
   */
  trustNeighbour(x: number, y: number, lists: ListsMsg, side: 'left' | 'right'): boolean;
  /** Removes p from both lists (unless pinned); true when something was removed. */
  remove(x: number, p: number): boolean;
  inLists(x: number, p: number): boolean;
  clear(x: number): void;
  payload(x: number): ListsMsg;
  /** Records the version (and key) x now believes p has, wherever p is in x's lists. */
  setVer(x: number, p: number, ver: number, key: number): void;
  /** A message from p showed its current ID version: if x's lists believed another, update and re-sort
   * (true when the lists changed). */
  noteVer(x: number, p: number, ver: number): boolean;
  blacklist(x: number, p: number): void;
  isBlack(x: number, p: number): boolean;
  unblack(x: number, p: number): void;
  remember(x: number, p: number): void;
  /** Next remembered peer in round-robin order, or -1. */
  nextRemembered(x: number): number;
}

interface Side {
  idx: Int32Array;
  ver: Int32Array;
  key: Float64Array;
  dist: Float64Array;
  n: number;
}

/**
 * `onSuspect(x, p)`: p is blacklisted at x but a peer reports it; called at most once per few seconds per
 * (x, p), after the merge, so the protocol can check p directly.
 */
export function createViews(ctx: EngineCtx, onSuspect: (x: number, p: number) => void = () => {}): Views {
  const { t } = ctx;
  const k = t.k;
  const maxCand = 4 * k + 64;
  const cIdx = new Int32Array(maxCand);
  const cVer = new Int32Array(maxCand);
  const cKey = new Float64Array(maxCand);
  const mk = (): Side => ({
    idx: new Int32Array(k),
    ver: new Int32Array(k),
    key: new Float64Array(k),
    dist: new Float64Array(k),
    n: 0,
  });
  const R = mk();
  const L = mk();
  let m = 0;
  const mem = createPeerMemory(ctx, onSuspect);

  function addCand(x: number, idx: number, ver: number, key: number, direct: number, kx: number): void {
    if (idx < 0 || idx === x || m >= maxCand || key === kx) return;
    for (let j = 0; j < m; j++) if (cIdx[j] === idx) return;
    if (idx !== direct && mem.isBlack(x, idx, true)) return;
    cIdx[m] = idx;
    cVer[m] = ver;
    cKey[m] = key;
    m++;
  }

  function insert(s: Side, i: number, v: number, key: number, d: number): void {
    let pos = s.n;
    while (pos > 0 && (s.dist[pos - 1]! > d || (s.dist[pos - 1] === d && s.idx[pos - 1]! > i))) pos--;
    if (pos >= k) return;
    for (let q = Math.min(s.n, k - 1); q > pos; q--) {
      s.idx[q] = s.idx[q - 1]!;
      s.ver[q] = s.ver[q - 1]!;
      s.key[q] = s.key[q - 1]!;
      s.dist[q] = s.dist[q - 1]!;
    }
    s.idx[pos] = i;
    s.ver[pos] = v;
    s.key[pos] = key;
    s.dist[pos] = d;
    s.n = Math.min(s.n + 1, k);
  }

  function writeSide(x: number, list: Int32Array, lver: Uint16Array, lkey: Float64Array, s: Side): boolean {
    const base = x * k;
    let changed = false;
    for (let j = 0; j < k; j++) {
      const ni = j < s.n ? s.idx[j]! : -1;
      const nv = j < s.n ? s.ver[j]! : 0;
      if (list[base + j] !== ni || (ni >= 0 && lver[base + j] !== nv)) changed = true;
      list[base + j] = ni;
      lver[base + j] = nv;
      lkey[base + j] = j < s.n ? s.key[j]! : 0;
    }
    return changed;
  }

  /** Fast path: false when no candidate is new to x's lists and closer than x's current worst entries. */
  function mayChange(
    x: number,
    kx: number,
    direct: number,
    dver: number,
    dkey: number,
    lists: ListsMsg | null,
  ): boolean {
    const base = x * k;
    const last = base + k - 1;
    const worstL = t.left[last]! < 0 ? Infinity : cw(t.leftKey[last]!, kx);
    const worstR = t.right[last]! < 0 ? Infinity : cw(kx, t.rightKey[last]!);
    const count = lists ? lists.nl + lists.nr : 0;
    const e = lists?.e;
    for (let j = -1; j < count; j++) {
      const c = j < 0 ? direct : e![3 * j]!;
      if (c < 0 || c === x) continue;
      const v = j < 0 ? dver : e![3 * j + 1]!;
      let known = false;
      for (let q = 0; q < k && !known; q++) {
        known =
          (t.left[base + q] === c && t.leftVer[base + q] === v) ||
          (t.right[base + q] === c && t.rightVer[base + q] === v);
      }
      if (known) continue;
      const kc = j < 0 ? dkey : e![3 * j + 2]!;
      if (kc !== kx && (cw(kc, kx) < worstL || cw(kx, kc) < worstR)) return true;
    }
    return false;
  }

  function fullMerge(x: number, direct: number, dver: number, dkey: number, lists: ListsMsg | null): boolean {
    const changed = mergeLists(x, direct, dver, dkey, lists);
    mem.flushSuspects(x);
    return changed;
  }

  function mergeLists(
    x: number,
    direct: number,
    dver: number,
    dkey: number,
    lists: ListsMsg | null,
  ): boolean {
    const kx = t.key[x]!;
    m = 0;
    if (direct >= 0) {
      mem.unblack(x, direct);
      addCand(x, direct, dver, dkey, direct, kx);
    }
    if (lists) {
      const e = lists.e;
      for (let j = 0; j < lists.nl + lists.nr; j++)
        addCand(x, e[3 * j]!, e[3 * j + 1]!, e[3 * j + 2]!, direct, kx);
    }
    const base = x * k;
    for (let j = 0; j < k; j++) {
      addCand(x, t.left[base + j]!, t.leftVer[base + j]!, t.leftKey[base + j]!, direct, kx);
      addCand(x, t.right[base + j]!, t.rightVer[base + j]!, t.rightKey[base + j]!, direct, kx);
    }
    const pin = ctx.pins.get(x);
    R.n = 0;
    L.n = 0;
    for (let j = 0; j < m; j++) {
      const i = cIdx[j]!;
      const kc = cKey[j]!;
      if (!pin || pin.peer !== i || pin.side !== 'right') insert(R, i, cVer[j]!, kc, cw(kx, kc));
      if (!pin || pin.peer !== i || pin.side !== 'left') insert(L, i, cVer[j]!, kc, cw(kc, kx));
    }
    if (pin) {
      const s = pin.side === 'right' ? R : L;
      for (let q = Math.min(s.n, k - 1); q > 0; q--) {
        s.idx[q] = s.idx[q - 1]!;
        s.ver[q] = s.ver[q - 1]!;
        s.key[q] = s.key[q - 1]!;
      }
      s.idx[0] = pin.peer;
      s.ver[0] = pin.ver;
      s.key[0] = t.keyOf(pin.peer, pin.ver);
      s.n = Math.min(s.n + 1, k);
    }
    const cr = writeSide(x, t.right, t.rightVer, t.rightKey, R);
    const cl = writeSide(x, t.left, t.leftVer, t.leftKey, L);
    return cr || cl;
  }

  const views: Views = {
    merge(x, direct, dver, dkey, lists) {
      if (!mayChange(x, t.key[x]!, direct, dver, dkey, lists)) return false;
      return fullMerge(x, direct, dver, dkey, lists);
    },
    resort(x) {
      fullMerge(x, -1, 0, 0, null);
    },
    trustNeighbour(x, y, lists, side) {
      const right = side === 'right';
      const n = right ? lists.nr : lists.nl;
      if (n === 0) return false;
      const e = lists.e;
      const off = right ? lists.nl : 0;
      const list = right ? t.right : t.left;
      const keys = right ? t.rightKey : t.leftKey;
      const base = x * k;
      let pos = -1;
      for (let j = 0; j < k; j++) if (list[base + j] === y) pos = j;
      if (pos < 0) return false;
      const ky = keys[base + pos]!;
      const far = e[3 * (off + n - 1) + 2]!;
      const bound = right ? cw(ky, far) : cw(far, ky);
      let changed = false;
      for (let j = k - 1; j > pos; j--) {
        const c = list[base + j]!;
        if (c < 0) continue;
        const d = right ? cw(ky, keys[base + j]!) : cw(keys[base + j]!, ky);
        if (d >= bound) continue;
        let reported = false;
        for (let q = 0; q < n && !reported; q++) reported = e[3 * (off + q)] === c;
        if (reported || !views.remove(x, c)) continue;
        // suspect until verified: others' stale lists must not bring it straight back
        views.blacklist(x, c);
        changed = true;
      }
      return changed;
    },
    remove(x, p) {
      const pin = ctx.pins.get(x);
      let removed = false;
      const base = x * k;
      for (const [list, lver, lkey, side] of [
        [t.left, t.leftVer, t.leftKey, 'left'],
        [t.right, t.rightVer, t.rightKey, 'right'],
      ] as const) {
        if (pin && pin.peer === p && pin.side === side) continue;
        let w = 0;
        for (let j = 0; j < k; j++) {
          const e = list[base + j]!;
          if (e === p) {
            removed = true;
            continue;
          }
          list[base + w] = e;
          lver[base + w] = lver[base + j]!;
          lkey[base + w] = lkey[base + j]!;
          w++;
        }
        for (; w < k; w++) list[base + w] = -1;
      }
      return removed;
    },
    inLists(x, p) {
      const base = x * k;
      for (let j = 0; j < k; j++) if (t.left[base + j] === p || t.right[base + j] === p) return true;
      return false;
    },
    clear(x) {
      t.left.fill(-1, x * k, x * k + k);
      t.right.fill(-1, x * k, x * k + k);
      mem.clear(x);
    },
    payload(x) {
      const base = x * k;
      let nl = 0;
      let nr = 0;
      while (nl < k && t.left[base + nl]! >= 0) nl++;
      while (nr < k && t.right[base + nr]! >= 0) nr++;
      const e = new Array<number>(3 * (nl + nr));
      let w = 0;
      for (let j = 0; j < nl; j++) {
        e[w++] = t.left[base + j]!;
        e[w++] = t.leftVer[base + j]!;
        e[w++] = t.leftKey[base + j]!;
      }
      for (let j = 0; j < nr; j++) {
        e[w++] = t.right[base + j]!;
        e[w++] = t.rightVer[base + j]!;
        e[w++] = t.rightKey[base + j]!;
      }
      return new ListsMsg(nl, nr, e);
    },
    setVer(x, p, ver, key) {
      const base = x * k;
      for (let j = 0; j < k; j++) {
        if (t.left[base + j] === p) {
          t.leftVer[base + j] = ver;
          t.leftKey[base + j] = key;
        }
        if (t.right[base + j] === p) {
          t.rightVer[base + j] = ver;
          t.rightKey[base + j] = key;
        }
      }
    },
    noteVer(x, p, ver) {
      const base = x * k;
      let stale = false;
      for (let j = 0; j < k; j++) {
        if (
          (t.left[base + j] === p && t.leftVer[base + j] !== ver) ||
          (t.right[base + j] === p && t.rightVer[base + j] !== ver)
        ) {
          stale = true;
        }
      }
      if (!stale) return false;
      views.setVer(x, p, ver, t.keyOf(p, ver));
      fullMerge(x, -1, 0, 0, null);
      return true;
    },
    blacklist: mem.blacklist,
    isBlack: (x, p) => mem.isBlack(x, p, false),
    unblack: mem.unblack,
    remember: mem.remember,
    nextRemembered: mem.nextRemembered,
  };
  return views;
}
