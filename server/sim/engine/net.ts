/**
 * Message transport between simulated nodes: every message costs the one-way delay of its path (direct,
 * or through the relay of a relayed connection), is dropped across an active partition, through a dead
 * relay or at a dead receiver, and is counted in the traffic of sender, relay and receiver. Requests get
 * a slot in a compact request table and a timeout on a constant-delay lane; a reply or the timeout,
 * whichever comes first, frees the slot.
 */
import type { EngineCtx } from './context.js';
import { EV, TH_MQ } from './context.js';
import type { Metrics } from './metrics.js';
import { F_IN, F_PENDING, F_RELAY } from './tables.js';
import type { ListsMsg } from './views.js';

/** Message types. */
export const MT = {
  GET_NBRS: 1,
  NBRS: 2,
  CONNECT: 3,
  CONNECT_OK: 4,
  CONNECT_NAT: 5,
  RELAY_CONNECT: 6,
  PING: 7,
  PONG: 8,
  NACK: 9,
  LOOKUP: 10,
  LOOKUP_REPLY: 11,
  CLOSE: 12,
  HOP_ACK: 13,
} as const;

/** Request purposes (what a reply or timeout means to the requester). */
export const RQ = {
  STAB_L: 1,
  STAB_R: 2,
  CONNECT: 3,
  RELAY: 4,
  PING: 5,
  /** Routed lookups (answered by the responsible node; timeout lookupTimeoutMs). */
  JOIN: 6,
  RECOVER: 7,
  SHORTCUT: 8,
  PROBE: 9,
  /** One hop of a routed lookup, acknowledged by the next hop (HOP_ACK) as soon as it takes over. */
  HOP: 10,
  /** GET_NBRS to a blacklisted peer that others still report: is it alive after all? */
  VERIFY: 11,
} as const;

const isLookup = (purpose: number): boolean => purpose >= RQ.JOIN && purpose <= RQ.PROBE;

const HEADER = 28;
const BASE_SIZE = [0, 40, 40, 64, 64, 64, 72, 32, 32, 32, 80, 56, 32, 32];

/** Size on the wire: header + body + 28 bytes per list entry carried (ID + address). */
function msgSize(type: number, payload: unknown): number {
  let entries = 0;
  if (type === MT.NBRS || type === MT.LOOKUP_REPLY) entries = (payload as ListsMsg).e.length / 3;
  else if (type === MT.CONNECT_OK) entries = (payload as { lists: ListsMsg }).lists.e.length / 3;
  else if (type === MT.CONNECT_NAT) entries = (payload as Float64Array).length / 3;
  return HEADER + BASE_SIZE[type]! + 28 * entries;
}

/** What the protocol does with a delivered message or an expired request. */
export interface NetHandlers {
  onMessage(to: number, from: number, type: number, fromVer: number, code: number, payload: unknown): void;
  /** `sentAt`: when the request was sent (epoch ms); `payload`: what it carried (kept for HOP requests);
   * `relayed`: it went through a relay (so the silence may be the relay's, not the peer's). */
  onTimeout(
    node: number,
    peer: number,
    purpose: number,
    extra: number,
    sentAt: number,
    payload: unknown,
    relayed: boolean,
  ): void;
}

/**
 * Contract: send/sendVia never deliver synchronously; a request's code is delivered with the message and
 * echoed by the reply; take(code) returns the request slot exactly once (reply before timeout) and -1 for
 * a stale, duplicate or late reply, or when the requester restarted since.
 */
export interface Net {
  bind(h: NetHandlers): void;
  send(from: number, to: number, type: number, code: number, payload?: unknown): void;
  sendVia(from: number, via: number, to: number, type: number, code: number, payload?: unknown): void;
  request(
    from: number,
    to: number,
    type: number,
    purpose: number,
    extra: number,
    payload?: unknown,
    via?: number,
  ): number;
  /** Opens a request (slot and timeout) without sending anything; returns its code. */
  open(from: number, to: number, purpose: number, extra: number): number;
  take(code: number): number;
  reqPurpose(slot: number): number;
  reqExtra(slot: number): number;
  reqPeer(slot: number): number;
  deliver(to: number, from: number, c: number, code: number, payload: unknown): void;
  expire(slot: number, gen: number): void;
  pendingRequests(): number;
}

const SLOT_BITS = 2 ** 22;
const RELAYED = 16 * 65536;

export function createNet(ctx: EngineCtx, metrics: Metrics): Net {
  const { t, lat, queue, stats } = ctx;
  let handlers: NetHandlers | undefined;
  const reqLane = queue.lane(ctx.opts.requestTimeoutMs);
  // a relayed request crosses two legs each way: it gets twice the direct timeout
  const relayLane = queue.lane(2 * ctx.opts.requestTimeoutMs);
  const lookupLane = queue.lane(ctx.opts.lookupTimeoutMs);
  let cap = 1024;
  let rNode = new Int32Array(cap);
  let rInc = new Uint32Array(cap);
  let rPeer = new Int32Array(cap);
  let rPurpose = new Uint8Array(cap);
  let rExtra = new Float64Array(cap);
  let rSent = new Float64Array(cap);
  const rPay: unknown[] = [];
  let rGen = new Uint32Array(cap);
  let rLive = new Uint8Array(cap);
  let rRelayed = new Uint8Array(cap);
  let freeList = new Int32Array(cap);
  let freeTop = 0;
  for (let s = cap - 1; s >= 0; s--) freeList[freeTop++] = s;
  let live = 0;
  // the message being handled, so that answers take the path its request took
  let curTo = -1;
  let curFrom = -1;
  let curRelayed = false;

  function grow(): void {
    const n = Math.min(SLOT_BITS, cap * 2);
    if (n === cap) throw new Error('request table full');
    const copy = <T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(
      a: T,
      make: (l: number) => T,
    ): T => {
      const x = make(n);
      x.set(a);
      return x;
    };
    rNode = copy(rNode, (l) => new Int32Array(l));
    rInc = copy(rInc, (l) => new Uint32Array(l));
    rPeer = copy(rPeer, (l) => new Int32Array(l));
    rPurpose = copy(rPurpose, (l) => new Uint8Array(l));
    rExtra = copy(rExtra, (l) => new Float64Array(l));
    rSent = copy(rSent, (l) => new Float64Array(l));
    rGen = copy(rGen, (l) => new Uint32Array(l));
    rLive = copy(rLive, (l) => new Uint8Array(l));
    rRelayed = copy(rRelayed, (l) => new Uint8Array(l));
    freeList = new Int32Array(n);
    freeTop = 0;
    for (let s = n - 1; s >= cap; s--) freeList[freeTop++] = s;
    cap = n;
  }

  const crosses = (a: number, b: number): boolean => ctx.partitionActive && t.part[a] !== t.part[b];

  function sendPath(
    from: number,
    via: number,
    to: number,
    type: number,
    code: number,
    payload: unknown,
  ): void {
    const size = msgSize(type, payload);
    metrics.sent(from, size);
    stats.messages++;
    let delay: number;
    if (via >= 0) {
      if (!t.alive[via] || crosses(from, via) || crosses(via, to) || !legs(via, from, to)) {
        stats.dropped++;
        return;
      }
      metrics.relayed(via, size);
      delay = lat.oneWayMs(from, via) + lat.oneWayMs(via, to);
    } else {
      if (crosses(from, to)) {
        stats.dropped++;
        return;
      }
      delay = lat.oneWayMs(from, to);
    }
    // c packs the type (4 bits), the sender's ID version (16 bits) and whether it came through a relay
    const c = type + 16 * t.ver[from]! + (via >= 0 ? RELAYED : 0);
    queue.push(queue.now() + Math.max(1, delay), EV.MSG, to, from, c, code, payload);
  }

  function open(
    from: number,
    to: number,
    purpose: number,
    extra: number,
    relayed: boolean,
    keep: unknown,
  ): number {
    if (freeTop === 0) grow();
    const s = freeList[--freeTop]!;
    rGen[s] = (rGen[s]! + 1) % 2 ** 31;
    rNode[s] = from;
    rInc[s] = t.inc[from]!;
    rPeer[s] = to;
    rPurpose[s] = purpose;
    rExtra[s] = extra;
    rSent[s] = queue.now();
    rLive[s] = 1;
    rRelayed[s] = relayed ? 1 : 0;
    if (keep !== undefined) rPay[s] = keep;
    live++;
    queue.pushLane(
      isLookup(purpose) ? lookupLane : relayed ? relayLane : reqLane,
      EV.TIMEOUT,
      s,
      0,
      rGen[s],
      0,
    );
    return rGen[s] * SLOT_BITS + s;
  }

  /** The relay holds established connections to both ends (marked as needed by them: F_IN). */
  function legs(via: number, a: number, b: number): boolean {
    const ra = t.findConn(via, a);
    const rb = t.findConn(via, b);
    if (ra < 0 || rb < 0 || (t.cFlags[ra]! | t.cFlags[rb]!) & F_PENDING) return false;
    t.cFlags[ra] = t.cFlags[ra]! | F_IN;
    t.cFlags[rb] = t.cFlags[rb]! | F_IN;
    return true;
  }

  function relayOf(from: number, to: number): number {
    if (!(t.nat[from] && t.nat[to])) return -1; // only NAT'd pairs are ever relayed
    if (from === curTo && to === curFrom && !curRelayed) return -1; // answer on the path the request took
    const r = t.findConn(from, to);
    return r >= 0 && (t.cFlags[r]! & (F_RELAY | F_PENDING)) === F_RELAY ? t.cVia[r]! : -1;
  }

  const net: Net = {
    bind(h) {
      handlers = h;
    },
    send(from, to, type, code, payload) {
      sendPath(from, relayOf(from, to), to, type, code, payload);
    },
    sendVia(from, via, to, type, code, payload) {
      sendPath(from, via, to, type, code, payload);
    },
    request(from, to, type, purpose, extra, payload, via) {
      const path = via ?? relayOf(from, to);
      const code = open(from, to, purpose, extra, path >= 0, purpose === RQ.HOP ? payload : undefined);
      sendPath(from, path, to, type, code, payload);
      return code;
    },
    open: (from, to, purpose, extra) => open(from, to, purpose, extra, false, undefined),
    take(code) {
      if (code < 0) return -1;
      const s = code % SLOT_BITS;
      const gen = Math.floor(code / SLOT_BITS);
      if (s >= cap || !rLive[s] || rGen[s] !== gen) return -1;
      rLive[s] = 0;
      live--;
      freeList[freeTop++] = s;
      rPay[s] = undefined;
      const node = rNode[s]!;
      if (!t.alive[node] || t.inc[node] !== rInc[s]) return -1;
      return s;
    },
    reqPurpose: (s) => rPurpose[s]!,
    reqExtra: (s) => rExtra[s]!,
    reqPeer: (s) => rPeer[s]!,
    deliver(to, from, c, code, payload) {
      if (!t.alive[to]) {
        stats.dropped++;
        return;
      }
      const type = c % 16;
      const relayed = c >= RELAYED;
      metrics.received(to, msgSize(type, payload));
      ctx.beat(to, TH_MQ);
      if (t.stallMask[to]! & (1 << TH_MQ)) {
        t.backlog[to] = t.backlog[to]! + 1;
        return;
      }
      metrics.processed(to);
      curTo = to;
      curFrom = from;
      curRelayed = relayed;
      try {
        handlers!.onMessage(to, from, type, Math.floor((c % RELAYED) / 16), code, payload);
      } finally {
        curTo = -1;
        curFrom = -1;
      }
    },
    expire(s, gen) {
      if (!rLive[s] || rGen[s] !== gen) return;
      rLive[s] = 0;
      live--;
      freeList[freeTop++] = s;
      const payload = rPay[s];
      rPay[s] = undefined;
      const node = rNode[s]!;
      if (!t.alive[node] || t.inc[node] !== rInc[s]) return;
      stats.timeouts++;
      handlers!.onTimeout(node, rPeer[s]!, rPurpose[s]!, rExtra[s]!, rSent[s]!, payload, rRelayed[s] === 1);
    },
    pendingRequests: () => live,
  };
  return net;
}
