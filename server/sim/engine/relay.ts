/**
 * Two-hop relays for NAT'd pairs: the handshake messages of connections and the choice of the relay Z among
 * the overlap of both ends' direct connections, by latency (min rtt(X,Z) + rtt(Z,Y)) or by age (oldest).
 */
import type { EngineCtx } from './context.js';
import { F_PENDING, F_RELAY } from './tables.js';
import type { ListsMsg } from './views.js';

/** CONNECT body: the role the initiator wants, whether it is NAT'd, its incarnation. */
export class ConnectMsg {
  constructor(
    readonly role: number,
    readonly nat: boolean,
    readonly inc: number,
  ) {}
}

/** RELAY_CONNECT body (travels through `via`). */
export class RelayConnectMsg {
  constructor(
    readonly role: number,
    readonly inc: number,
    readonly via: number,
  ) {}
}

/** CONNECT_OK body: the responder's lists and the relay it uses for this connection (-1 = direct). */
export class ConnectOk {
  constructor(
    readonly lists: ListsMsg,
    readonly via: number,
  ) {}
}

/**
 * Contract: directPeers(y) lists y's established direct connections as (peer, since, rttMs) triples (what y
 * tells a NAT'd peer in CONNECT_NAT); chooseRelay(x, y, info) returns a peer in that list that x is also
 * directly connected to, best by the configured selection, or -1 when the overlap is empty.
 */
export interface RelayPicker {
  chooseRelay: (x: number, y: number, info: Float64Array) => number;
  directPeers: (y: number) => Float64Array;
}

export function createRelayPicker(ctx: EngineCtx): RelayPicker {
  const { t, lat } = ctx;
  /** The relay for x–y among y's direct connections that x is also directly connected to. */
  function chooseRelay(x: number, y: number, info: Float64Array): number {
    let best = -1;
    let bestScore = Infinity;
    const byAge = ctx.opts.relaySelection === 'age';
    for (let j = 0; j + 2 < info.length; j += 3) {
      const z = info[j]!;
      if (z === x || z === y) continue;
      const rz = t.findConn(x, z);
      if (rz < 0 || t.cFlags[rz]! & (F_PENDING | F_RELAY)) continue;
      const score = byAge ? Math.max(t.cSince[rz]!, info[j + 1]!) : lat.rttMs(x, z) + info[j + 2]!;
      if (score < bestScore || (score === bestScore && z < best)) {
        bestScore = score;
        best = z;
      }
    }
    return best;
  }

  function directPeers(y: number): Float64Array {
    let n = 0;
    for (let r = t.head[y]!; r >= 0; r = t.cNext[r]!) if (!(t.cFlags[r]! & (F_PENDING | F_RELAY))) n++;
    const out = new Float64Array(3 * n);
    let w = 0;
    for (let r = t.head[y]!; r >= 0; r = t.cNext[r]!) {
      if (t.cFlags[r]! & (F_PENDING | F_RELAY)) continue;
      out[w++] = t.cPeer[r]!;
      out[w++] = t.cSince[r]!;
      out[w++] = lat.rttMs(y, t.cPeer[r]!);
    }
    return out;
  }

  return { chooseRelay, directPeers };
}
