/**
 * Per-node state of the simulated ring as parallel typed arrays (struct of arrays), so 10^5 nodes cost a
 * few tens of MB and no per-node objects or closures. Connection records live in one growable pool with a
 * singly linked list per node. This module only stores; the protocol modules give the data its meaning.
 */
import { idHex, idKey } from './ids.js';

/** Connection record flags (tables.cFlags). */
export const F_OUT_SC = 1; // this node's own shortcut
export const F_OUT_LEAF = 2; // this node's leaf connection (to its bootstrap)
export const F_IN = 4; // the peer asked for it (it needs the connection)
export const F_RELAY = 8; // two-hop relay through cVia
export const F_PENDING = 16; // handshake not finished: not reported, no traffic
export const F_PINGING = 32; // a keep-alive ping is outstanding
export const F_RELAY_REG = 64; // this side accounts the relayed traffic at cVia

/** Connection kinds as codes (tables.cKind low 2 bits: the kind the peer asked for; bits 2-3: rate kind). */
export const K_NEAR = 0;
export const K_SHORTCUT = 1;
export const K_LEAF = 2;
export const K_RELAY = 3;
export const KIND_NAMES = ['near', 'shortcut', 'leaf', 'relay'] as const;

/** Pending-work flags (tables.pend). */
export const P_STAB_L = 1;
export const P_STAB_R = 2;
export const P_JOIN = 4;
export const P_RECOVER = 8;
export const P_SHORTCUT = 16;
export const P_PROBE = 32;

export const BLACK_SLOTS = 8;
export const REMEMBER_SLOTS = 4;
export const BOOT_SLOTS = 3;
export const THREAD_COUNT = 4;

/**
 * Contract: arrays are indexed by node index (0..n-1), lists by node*k + position (closest first, -1 =
 * empty slot, entries packed at the front). Times in Uint32 fields are milliseconds since `t0`. The pool
 * fields (c*) may be replaced by larger arrays when the pool grows: never cache them across allocConn().
 */
export interface NodeTables {
  readonly n: number;
  readonly k: number;
  readonly t0: number;
  // identity
  readonly ids: bigint[];
  readonly hex: string[];
  readonly key: Float64Array;
  readonly ver: Uint16Array;
  /** Per node with a changed ID: its IDs by version (index 0 = original). */
  readonly idHist: Map<number, bigint[]>;
  readonly nat: Uint8Array;
  // lifecycle
  readonly alive: Uint8Array;
  readonly started: Uint8Array;
  readonly joined: Uint8Array;
  readonly inc: Uint32Array;
  readonly holds: Uint16Array;
  readonly startedAt: Float64Array;
  // views
  readonly left: Int32Array;
  readonly leftVer: Uint16Array;
  /** The ring key the node believes each list entry has. */
  readonly leftKey: Float64Array;
  readonly right: Int32Array;
  readonly rightVer: Uint16Array;
  readonly rightKey: Float64Array;
  readonly pend: Uint8Array;
  readonly black: Int32Array;
  readonly blackUntil: Uint32Array;
  /** Earliest time a blacklisted peer may be verified again (when others keep reporting it). */
  readonly blackVerify: Uint32Array;
  readonly rem: Int32Array;
  readonly remPos: Uint8Array;
  readonly boot: Int32Array;
  readonly bootPos: Uint8Array;
  readonly keepTicks: Uint16Array;
  // faults and threads
  readonly stallMask: Uint8Array;
  readonly backlog: Uint32Array;
  readonly part: Uint8Array;
  readonly lastBeat: Float64Array;
  // connection pool
  readonly head: Int32Array;
  cPeer: Int32Array;
  cPeerVer: Uint16Array;
  cPeerInc: Uint32Array;
  cFlags: Uint8Array;
  cKind: Uint8Array;
  cVia: Int32Array;
  cViaInc: Uint32Array;
  cSince: Uint32Array;
  cHeard: Uint32Array;
  cNext: Int32Array;
  /** Live connection records. */
  conns: number;
  keyOf(node: number, version: number): number;
  hexOf(node: number, version: number): string;
  setId(node: number, id: bigint, version: number): void;
  rel(absMs: number): number;
  allocConn(node: number, peer: number): number;
  /** Unlinks and frees record r of node (prev = the record before r in node's list, or -1). */
  freeConn(node: number, r: number, prev: number): void;
  findConn(node: number, peer: number): number;
  /** Re-lays the pool so each node's records are contiguous (same list order; record indices change, so
   * call it only between events). Keeps list scans cache-friendly at 10^5 nodes. */
  compact(): void;
}

export function createNodeTables(
  n: number,
  k: number,
  ids: bigint[],
  t0: number,
  capHint: number,
): NodeTables {
  const idHist = new Map<number, bigint[]>();
  const key = new Float64Array(n);
  const hex: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    key[i] = idKey(ids[i]!);
    hex[i] = idHex(ids[i]!);
  }
  const ver = new Uint16Array(n);
  let cap = Math.max(64, capHint);
  const head = new Int32Array(n).fill(-1);
  let freeHead = -1;
  let fresh = 0; // records [fresh, cap) were never used
  const t: NodeTables = {
    n,
    k,
    t0,
    ids,
    hex,
    key,
    ver,
    idHist,
    nat: new Uint8Array(n),
    alive: new Uint8Array(n),
    started: new Uint8Array(n),
    joined: new Uint8Array(n),
    inc: new Uint32Array(n),
    holds: new Uint16Array(n),
    startedAt: new Float64Array(n),
    left: new Int32Array(n * k).fill(-1),
    leftVer: new Uint16Array(n * k),
    leftKey: new Float64Array(n * k),
    right: new Int32Array(n * k).fill(-1),
    rightVer: new Uint16Array(n * k),
    rightKey: new Float64Array(n * k),
    pend: new Uint8Array(n),
    black: new Int32Array(n * BLACK_SLOTS).fill(-1),
    blackUntil: new Uint32Array(n * BLACK_SLOTS),
    blackVerify: new Uint32Array(n * BLACK_SLOTS),
    rem: new Int32Array(n * REMEMBER_SLOTS).fill(-1),
    remPos: new Uint8Array(n),
    boot: new Int32Array(n * BOOT_SLOTS).fill(-1),
    bootPos: new Uint8Array(n),
    keepTicks: new Uint16Array(n),
    stallMask: new Uint8Array(n),
    backlog: new Uint32Array(n),
    part: new Uint8Array(n),
    lastBeat: new Float64Array(n * THREAD_COUNT),
    head,
    cPeer: new Int32Array(cap),
    cPeerVer: new Uint16Array(cap),
    cPeerInc: new Uint32Array(cap),
    cFlags: new Uint8Array(cap),
    cKind: new Uint8Array(cap),
    cVia: new Int32Array(cap),
    cViaInc: new Uint32Array(cap),
    cSince: new Uint32Array(cap),
    cHeard: new Uint32Array(cap),
    cNext: new Int32Array(cap),
    conns: 0,
    keyOf(node, version) {
      if (version === ver[node]) return key[node]!;
      const h = idHist.get(node);
      const id = h?.[version];
      return id === undefined ? key[node]! : idKey(id);
    },
    hexOf(node, version) {
      if (version === ver[node]) return hex[node]!;
      const id = idHist.get(node)?.[version];
      return id === undefined ? hex[node]! : idHex(id);
    },
    setId(node, id, version) {
      let h = idHist.get(node);
      if (!h) {
        h = [ids[node]!];
        idHist.set(node, h);
      }
      h[version] = id;
      ids[node] = id;
      ver[node] = version;
      key[node] = idKey(id);
      hex[node] = idHex(id);
    },
    rel: (absMs) => Math.max(0, Math.min(0xffffffff, Math.round(absMs - t0))),
    allocConn(node, peer) {
      let r: number;
      if (freeHead >= 0) {
        r = freeHead;
        freeHead = t.cNext[r]!;
      } else {
        if (fresh === cap) growPool();
        r = fresh++;
      }
      t.cPeer[r] = peer;
      t.cPeerVer[r] = 0;
      t.cPeerInc[r] = 0;
      t.cFlags[r] = 0;
      t.cKind[r] = 0;
      t.cVia[r] = -1;
      t.cViaInc[r] = 0;
      t.cSince[r] = 0;
      t.cHeard[r] = 0;
      t.cNext[r] = head[node]!;
      head[node] = r;
      t.conns++;
      return r;
    },
    freeConn(node, r, prev) {
      if (prev < 0) head[node] = t.cNext[r]!;
      else t.cNext[prev] = t.cNext[r]!;
      t.cNext[r] = freeHead;
      t.cPeer[r] = -1;
      freeHead = r;
      t.conns--;
    },
    findConn(node, peer) {
      const cp = t.cPeer;
      const nx = t.cNext;
      for (let r = head[node]!; r >= 0; r = nx[r]!) if (cp[r] === peer) return r;
      return -1;
    },
    compact: () => compact(),
  };
  function compact(): void {
    // dest[r]: where record r goes (each node's list contiguous, in list order; free slots after them)
    const dest = new Int32Array(cap);
    let w = 0;
    for (let x = 0; x < n; x++) for (let r = head[x]!; r >= 0; r = t.cNext[r]!) dest[r] = w++;
    const used = w;
    for (let r = freeHead; r >= 0; r = t.cNext[r]!) dest[r] = w++;
    for (let r = fresh; r < cap; r++) dest[r] = w++;
    // permute every field through one scratch buffer (4 bytes per record), in place
    const scratch = new ArrayBuffer(cap * 4);
    const perm = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(a: T, view: T): void => {
      for (let r = 0; r < cap; r++) view[dest[r]!] = a[r]!;
      a.set(view);
    };
    for (let r = 0; r < cap; r++) {
      const nx = t.cNext[r]!;
      t.cNext[r] = nx >= 0 && dest[nx]! < used ? dest[nx]! : -1;
    }
    for (let x = 0; x < n; x++) if (head[x]! >= 0) head[x] = dest[head[x]!]!;
    perm(t.cPeer, new Int32Array(scratch, 0, cap));
    perm(t.cNext, new Int32Array(scratch, 0, cap));
    perm(t.cVia, new Int32Array(scratch, 0, cap));
    perm(t.cPeerInc, new Uint32Array(scratch, 0, cap));
    perm(t.cViaInc, new Uint32Array(scratch, 0, cap));
    perm(t.cSince, new Uint32Array(scratch, 0, cap));
    perm(t.cHeard, new Uint32Array(scratch, 0, cap));
    perm(t.cPeerVer, new Uint16Array(scratch, 0, cap));
    perm(t.cFlags, new Uint8Array(scratch, 0, cap));
    perm(t.cKind, new Uint8Array(scratch, 0, cap));
    freeHead = -1;
    fresh = used;
  }

  function growPool(): void {
    const nc = cap * 2;
    const g = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(
      a: T,
      make: (len: number) => T,
    ): T => {
      const x = make(nc);
      x.set(a);
      return x;
    };
    t.cPeer = g(t.cPeer, (l) => new Int32Array(l));
    t.cPeerVer = g(t.cPeerVer, (l) => new Uint16Array(l));
    t.cPeerInc = g(t.cPeerInc, (l) => new Uint32Array(l));
    t.cFlags = g(t.cFlags, (l) => new Uint8Array(l));
    t.cKind = g(t.cKind, (l) => new Uint8Array(l));
    t.cVia = g(t.cVia, (l) => new Int32Array(l));
    t.cViaInc = g(t.cViaInc, (l) => new Uint32Array(l));
    t.cSince = g(t.cSince, (l) => new Uint32Array(l));
    t.cHeard = g(t.cHeard, (l) => new Uint32Array(l));
    t.cNext = g(t.cNext, (l) => new Int32Array(l));
    cap = nc;
  }
  return t;
}
