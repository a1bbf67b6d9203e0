/**
 * Connection-record bookkeeping of one node: establishing a record (with its traffic rate and, for the
 * lower-index end of a relayed pair, the relay's accounting), changing its relay, removing records, and
 * two per-node counters kept in step with the records (own shortcuts; "a record was removed" dirty flag).
 */
import type { EngineCtx } from './context.js';
import type { Metrics } from './metrics.js';
import { F_OUT_SC, F_PENDING, F_RELAY, F_RELAY_REG, K_RELAY } from './tables.js';

/**
 * Contract: every established record is matched by exactly one metrics.connAdded and, when removed, one
 * connRemoved; relay accounting (relayAdded/relayRemoved) is done once per relayed pair, by its lower index,
 * and skipped on removal when the relay restarted meanwhile.
 */
export interface Records {
  markShortcut: (x: number, r: number) => void;
  shortcuts: (x: number) => number;
  establish: (x: number, r: number, via: number) => void;
  setVia: (x: number, r: number, via: number) => void;
  removeAt: (x: number, r: number, prev: number) => void;
  removePeer: (x: number, p: number) => void;
  removeWhere: (x: number, pred: (r: number) => boolean) => void;
  /** True when a record of x was removed since the last call (initially true); clears the flag. */
  takeDirty: (x: number) => boolean;
}

export function createRecords(ctx: EngineCtx, metrics: Metrics): Records {
  const { t } = ctx;
  const nowRel = (): number => t.rel(ctx.now());
  /** 1 when a list entry may lack a connection (a record was removed since the last ensureNear). */
  const nearDirty = new Uint8Array(t.n).fill(1);
  /** Records flagged F_OUT_SC per node (kept in step with the flags). */
  const scCount = new Uint16Array(t.n);

  function markShortcut(x: number, r: number): void {
    if (t.cFlags[r]! & F_OUT_SC) return;
    t.cFlags[r] = t.cFlags[r]! | F_OUT_SC;
    scCount[x] = scCount[x]! + 1;
  }

  function register(x: number, r: number): void {
    const peer = t.cPeer[r]!;
    const via = t.cVia[r]!;
    if (via < 0 || x > peer) return;
    t.cViaInc[r] = t.inc[via]!;
    t.cFlags[r] = t.cFlags[r]! | F_RELAY_REG;
    metrics.relayAdded(via, x, peer);
  }

  function unregister(x: number, r: number): void {
    if (!(t.cFlags[r]! & F_RELAY_REG)) return;
    const via = t.cVia[r]!;
    if (t.alive[via] && t.inc[via] === t.cViaInc[r]) metrics.relayRemoved(via, x, t.cPeer[r]!);
    t.cFlags[r] = t.cFlags[r]! & ~F_RELAY_REG;
  }

  function establish(x: number, r: number, via: number): void {
    const now = nowRel();
    let flags = t.cFlags[r]! & ~F_PENDING;
    let rate = t.cKind[r]! & 3;
    if (via >= 0) {
      flags |= F_RELAY;
      t.cVia[r] = via;
      rate = K_RELAY;
    }
    t.cFlags[r] = flags;
    t.cKind[r] = (t.cKind[r]! & 3) | (rate << 2);
    t.cSince[r] = now;
    t.cHeard[r] = now;
    metrics.connAdded(x, t.cPeer[r]!, rate);
    register(x, r);
  }

  function setVia(x: number, r: number, via: number): void {
    if (t.cVia[r] === via) return;
    unregister(x, r);
    t.cVia[r] = via;
    register(x, r);
  }

  function removeAt(x: number, r: number, prev: number): void {
    nearDirty[x] = 1;
    if (t.cFlags[r]! & F_OUT_SC) scCount[x] = scCount[x]! - 1;
    if (!(t.cFlags[r]! & F_PENDING)) {
      metrics.connRemoved(x, t.cPeer[r]!, t.cKind[r]! >> 2);
      unregister(x, r);
    }
    t.freeConn(x, r, prev);
  }

  function removePeer(x: number, p: number): void {
    let prev = -1;
    for (let r = t.head[x]!; r >= 0; prev = r, r = t.cNext[r]!) {
      if (t.cPeer[r] === p) {
        removeAt(x, r, prev);
        return;
      }
    }
  }

  function removeWhere(x: number, pred: (r: number) => boolean): void {
    let prev = -1;
    let r = t.head[x]!;
    while (r >= 0) {
      const next = t.cNext[r]!;
      if (pred(r)) removeAt(x, r, prev);
      else prev = r;
      r = next;
    }
  }

  return {
    markShortcut,
    shortcuts: (x) => scCount[x]!,
    establish,
    setVia,
    removeAt,
    removePeer,
    removeWhere,
    takeDirty: (x) => {
      const d = nearDirty[x] === 1;
      nearDirty[x] = 0;
      return d;
    },
  };
}
