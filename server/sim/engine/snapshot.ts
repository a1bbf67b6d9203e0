/**
 * Builds the NodeSnapshot a node's agent serves: the node's own lists and connection records, its lazy
 * metrics, and its threads. Reads only that node's state (what the real node could report about itself).
 */
import type { EngineCtx } from './context.js';
import type { Metrics } from './metrics.js';
import { F_OUT_LEAF, F_OUT_SC, F_PENDING, F_RELAY, KIND_NAMES, THREAD_COUNT } from './tables.js';
import type { ConnectionSnapshot, NodeSnapshot, PeerRef } from './types.js';
import { THREADS } from './types.js';
import type { Views } from './views.js';

const MAX_CONNECTIONS = 4096;

/** Contract: pure read; `now` defaults to the clock's time; peers are node indices plus believed IDs. */
export type Snapshotter = (i: number, now?: number) => NodeSnapshot;

export function createSnapshotter(ctx: EngineCtx, views: Views, metrics: Metrics): Snapshotter {
  const { t, lat } = ctx;
  return (i, nowArg) => {
    const now = nowArg ?? ctx.clock.now();
    const k = t.k;
    const side = (list: Int32Array, ver: Uint16Array): PeerRef[] => {
      const out: PeerRef[] = [];
      for (let j = 0; j < k; j++) {
        const p = list[i * k + j]!;
        if (p < 0) break;
        out.push({ index: p, id: t.hexOf(p, ver[i * k + j]!) });
      }
      return out;
    };
    const connections: ConnectionSnapshot[] = [];
    const nowRel = t.rel(now);
    for (let r = t.head[i]!; r >= 0 && connections.length < MAX_CONNECTIONS; r = t.cNext[r]!) {
      const f = t.cFlags[r]!;
      if (f & F_PENDING) continue;
      const peer = t.cPeer[r]!;
      const near = views.inLists(i, peer);
      const kind =
        f & F_RELAY
          ? 'relay'
          : near
            ? 'near'
            : f & F_OUT_SC
              ? 'shortcut'
              : f & F_OUT_LEAF
                ? 'leaf'
                : KIND_NAMES[t.cKind[r]! & 3]!;
      const via = f & F_RELAY ? t.cVia[r]! : -1;
      const age = Math.max(0, nowRel - t.cSince[r]!) / 1000;
      const bytes = metrics.connBytes(i, peer, t.cKind[r]! >> 2, age);
      const c: ConnectionSnapshot = {
        peer,
        peerId: t.hexOf(peer, t.cPeerVer[r]!),
        kind,
        outbound: near || (f & (F_OUT_SC | F_OUT_LEAF)) !== 0,
        rttMs: via >= 0 ? lat.rttMs(i, via) + lat.rttMs(via, peer) : lat.rttMs(i, peer),
        ageSeconds: age,
        bytesIn: bytes.bytesIn,
        bytesOut: bytes.bytesOut,
      };
      if (via >= 0) {
        c.via = t.hex[via]!;
        c.viaIndex = via;
      }
      connections.push(c);
    }
    return {
      index: i,
      id: t.hex[i]!,
      alive: t.alive[i] === 1,
      joined: t.joined[i] === 1,
      nat: t.nat[i] === 1,
      startedAt: t.startedAt[i]!,
      ring: { left: side(t.left, t.leftVer), right: side(t.right, t.rightVer) },
      connections,
      traffic: metrics.traffic(i, now),
      process: metrics.process(i, now),
      queueDepth: metrics.queueDepth(i, now),
      relaying: metrics.relaying(i),
      threads: THREADS.map((name, th) => ({
        name,
        lastBeatAt: t.lastBeat[i * THREAD_COUNT + th]!,
        stalled: ((t.stallMask[i]! >> th) & 1) === 1,
      })),
    };
  };
}
