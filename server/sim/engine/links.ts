/**
 * Connections: handshakes (CONNECT / CONNECT_OK), two-hop relays for NAT'd pairs (CONNECT_NAT →
 * RELAY_CONNECT through a peer both ends are directly connected to), keep-alive pings on idle connections
 * (PING → PONG, or NACK when the peer no longer holds the connection), trimming and failure handling.
 * Each side holds its own record; a connection lives while either side needs it.
 */
import type { EngineCtx } from './context.js';
import type { Metrics } from './metrics.js';
import type { Net } from './net.js';
import { MT, RQ } from './net.js';
import {
  F_IN,
  F_OUT_LEAF,
  F_OUT_SC,
  F_PENDING,
  F_PINGING,
  F_RELAY,
  K_LEAF,
  K_NEAR,
  K_SHORTCUT,
} from './tables.js';
import { createRecords } from './records.js';
import { ConnectMsg, ConnectOk, createRelayPicker, RelayConnectMsg } from './relay.js';
import type { Views } from './views.js';

const LEAF_KEEP_MS = 30_000;

/** Callbacks into the protocol layer. */
export interface LinkEvents {
  listsChanged(x: number): void;
  peerDead(x: number, p: number): void;
}

/**
 * Contract: a node holds at most one record per peer; records are reported only once established; every
 * established record is matched by one metrics.connAdded and, on removal, one connRemoved.
 */
export interface Links {
  connect(x: number, p: number, pver: number, role: number): void;
  /** Opens connections to list entries that have none (when onlyIfDirty: only if a record was removed
   * since the last call; list changes always call it without the flag). */
  ensureNear(x: number, onlyIfDirty?: boolean): void;
  /** Removes records nobody needs any more. */
  trim(x: number): void;
  /** Removes the records with p and the relayed records through p. */
  dropPeer(x: number, p: number): void;
  clearNode(x: number): void;
  keepalive(x: number): void;
  outShortcuts(x: number): number;
  /** Flags record r of x as one of x's own shortcuts. */
  markShortcut(x: number, r: number): void;
  /** A request to p timed out: if it went over a relay, drop that connection and return true (not a death). */
  relayFailed(x: number, p: number): boolean;
  /** Converged bootstrap (initial condition only): an established connection x→y with both records,
   * relayed for a NAT'd pair (false when no relay is available). */
  initLink(x: number, y: number, role: number): boolean;
  handle(to: number, from: number, type: number, fromVer: number, code: number, payload: unknown): void;
  timeout(x: number, p: number, purpose: number, extra: number, sentAt: number): void;
  /** True when x holds an established connection to p and heard from p at or after `sentAt`. */
  heardSince(x: number, p: number, sentAt: number): boolean;
}

export function createLinks(ctx: EngineCtx, views: Views, net: Net, metrics: Metrics, ev: LinkEvents): Links {
  const { t } = ctx;
  const nowRel = (): number => t.rel(ctx.now());
  const relays = createRelayPicker(ctx);
  const rec = createRecords(ctx, metrics);
  const { markShortcut, establish, setVia, removePeer, removeWhere } = rec;

  /** x needs record r itself: a near neighbour, its shortcut or leaf, or a leg of one of its relays. */
  function ownNeed(x: number, r: number): boolean {
    const p = t.cPeer[r]!;
    if ((t.cFlags[r]! & (F_OUT_SC | F_OUT_LEAF)) !== 0 || views.inLists(x, p)) return true;
    if (!t.nat[x]) return false; // only NAT'd nodes hold relayed connections
    for (let q = t.head[x]!; q >= 0; q = t.cNext[q]!)
      if (t.cFlags[q]! & F_RELAY && t.cVia[q] === p) return true;
    return false;
  }

  function roleOf(x: number, r: number): number {
    if (views.inLists(x, t.cPeer[r]!)) return K_NEAR;
    if (t.cFlags[r]! & F_OUT_SC) return K_SHORTCUT;
    return t.cFlags[r]! & F_OUT_LEAF ? K_LEAF : t.cKind[r]! & 3;
  }

  /** A relayed connection stopped working: drop it and tell the peer over the overlay (it keeps its side
   * only if it needs it, and then re-handshakes through a working relay). */
  function dropRelay(x: number, p: number): void {
    removePeer(x, p);
    net.sendVia(x, -1, p, MT.CLOSE, -1);
  }

  function rehandshake(x: number, r: number): void {
    const p = t.cPeer[r]!;
    const role = roleOf(x, r);
    if (t.cFlags[r]! & F_RELAY) {
      const via = t.cVia[r]!;
      net.request(x, p, MT.RELAY_CONNECT, RQ.RELAY, via, new RelayConnectMsg(role, t.inc[x]!, via), via);
    } else net.request(x, p, MT.CONNECT, RQ.CONNECT, role, new ConnectMsg(role, t.nat[x] === 1, t.inc[x]!));
  }

  function accept(y: number, x: number, xver: number, inc: number, role: number, via: number): number {
    let r = t.findConn(y, x);
    if (r < 0) {
      r = t.allocConn(y, x);
      t.cFlags[r] = F_PENDING;
      t.cKind[r] = role;
    }
    if (t.cFlags[r]! & F_PENDING) establish(y, r, via);
    else if (via >= 0 && t.cFlags[r]! & F_RELAY && y > x) setVia(y, r, via);
    else if (t.cPeerInc[r] !== inc) t.cSince[r] = nowRel(); // the peer restarted: a new connection
    if (!(t.cFlags[r]! & (F_OUT_SC | F_OUT_LEAF))) t.cKind[r] = (t.cKind[r]! & ~3) | role;
    t.cFlags[r] = t.cFlags[r]! | F_IN;
    t.cPeerVer[r] = xver;
    t.cPeerInc[r] = inc;
    t.cHeard[r] = nowRel();
    if (views.merge(y, x, xver, t.keyOf(x, xver), null)) ev.listsChanged(y);
    return r;
  }

  const links: Links = {
    connect(x, p, pver, role) {
      if (p === x || p < 0) return;
      let r = t.findConn(x, p);
      if (r >= 0) {
        if (role === K_SHORTCUT) markShortcut(x, r);
        if (role === K_LEAF) t.cFlags[r] = t.cFlags[r]! | F_OUT_LEAF;
        return;
      }
      r = t.allocConn(x, p);
      t.cFlags[r] = F_PENDING | (role === K_LEAF ? F_OUT_LEAF : 0);
      if (role === K_SHORTCUT) markShortcut(x, r);
      t.cKind[r] = role;
      t.cPeerVer[r] = pver;
      net.request(x, p, MT.CONNECT, RQ.CONNECT, role, new ConnectMsg(role, t.nat[x] === 1, t.inc[x]!));
    },
    ensureNear(x, onlyIfDirty) {
      if (!rec.takeDirty(x) && onlyIfDirty) return;
      const base = x * t.k;
      for (let j = 0; j < t.k; j++) {
        const l = t.left[base + j]!;
        if (l >= 0 && t.findConn(x, l) < 0) links.connect(x, l, t.leftVer[base + j]!, K_NEAR);
        const rr = t.right[base + j]!;
        if (rr >= 0 && t.findConn(x, rr) < 0) links.connect(x, rr, t.rightVer[base + j]!, K_NEAR);
      }
    },
    trim(x) {
      removeWhere(x, (r) => {
        if (t.cFlags[r]! & (F_PENDING | F_IN) || ownNeed(x, r)) return false;
        // the peer keeps its side only if it needs it; sent over the overlay, not the (maybe broken) relay
        net.sendVia(x, -1, t.cPeer[r]!, MT.CLOSE, -1);
        return true;
      });
    },
    dropPeer(x, p) {
      removeWhere(x, (r) => t.cPeer[r] === p || (t.cFlags[r]! & F_RELAY && t.cVia[r] === p) === true);
    },
    clearNode(x) {
      removeWhere(x, () => true);
    },
    keepalive(x) {
      const now = nowRel();
      const idle = ctx.opts.keepAliveMs;
      let trimLeaf = false;
      for (let r = t.head[x]!; r >= 0; r = t.cNext[r]!) {
        const f = t.cFlags[r]!;
        if (f & F_OUT_LEAF && t.joined[x] && now - t.cSince[r]! > LEAF_KEEP_MS) {
          t.cFlags[r] = f & ~F_OUT_LEAF;
          trimLeaf = true;
        }
        if (f & (F_PENDING | F_PINGING) || now - t.cHeard[r]! < idle) continue;
        t.cFlags[r] = t.cFlags[r]! | F_PINGING;
        net.request(x, t.cPeer[r]!, MT.PING, RQ.PING, f & F_RELAY ? 1 : 0);
      }
      if (trimLeaf) links.trim(x);
    },
    outShortcuts: (x) => rec.shortcuts(x),
    markShortcut,
    relayFailed(x, p) {
      const r = t.findConn(x, p);
      if (r < 0 || !(t.cFlags[r]! & F_RELAY)) return false;
      dropRelay(x, p);
      return true;
    },
    initLink(x, y, role) {
      const existing = t.findConn(x, y);
      if (existing >= 0) {
        if (role === K_SHORTCUT) markShortcut(x, existing);
        return true;
      }
      let via = -1;
      if (t.nat[x] && t.nat[y]) {
        via = relays.chooseRelay(x, y, relays.directPeers(y));
        if (via < 0) return false;
      }
      for (const [a, b] of [
        [x, y],
        [y, x],
      ] as const) {
        let r = t.findConn(a, b);
        if (r < 0) {
          r = t.allocConn(a, b);
          t.cFlags[r] = F_PENDING;
          if (a === x && role === K_SHORTCUT) markShortcut(a, r);
          t.cKind[r] = role;
          t.cPeerInc[r] = t.inc[b]!;
          t.cPeerVer[r] = t.ver[b]!;
          establish(a, r, via);
        }
        if (a === y || role === K_NEAR) t.cFlags[r] = t.cFlags[r]! | F_IN;
      }
      return true;
    },
    handle(to, from, type, fromVer, code, payload) {
      switch (type) {
        case MT.CONNECT: {
          const m = payload as ConnectMsg;
          if (t.nat[to] && m.nat) {
            // no direct connection possible, but the request proves the sender alive and near us
            if (views.merge(to, from, fromVer, t.keyOf(from, fromVer), null)) ev.listsChanged(to);
            net.send(to, from, MT.CONNECT_NAT, code, relays.directPeers(to));
          } else {
            accept(to, from, fromVer, m.inc, m.role, -1);
            net.send(to, from, MT.CONNECT_OK, code, new ConnectOk(views.payload(to), -1));
          }
          return;
        }
        case MT.RELAY_CONNECT: {
          const m = payload as RelayConnectMsg;
          const r = accept(to, from, fromVer, m.inc, m.role, m.via);
          const via = t.cFlags[r]! & F_RELAY ? t.cVia[r]! : -1;
          net.sendVia(to, via, from, MT.CONNECT_OK, code, new ConnectOk(views.payload(to), via));
          return;
        }
        case MT.CLOSE: {
          const r = t.findConn(to, from);
          if (r < 0 || t.cFlags[r]! & F_PENDING) return;
          t.cFlags[r] = t.cFlags[r]! & ~F_IN;
          if (!ownNeed(to, r)) removePeer(to, from);
          return;
        }
        case MT.PING: {
          const r = t.findConn(to, from);
          const ok = r >= 0 && !(t.cFlags[r]! & F_PENDING);
          if (ok) t.cHeard[r] = nowRel(); // the peer's ping proves the link alive: no need to ping back
          net.send(to, from, ok ? MT.PONG : MT.NACK, code);
          return;
        }
      }
      const s = net.take(code);
      if (s < 0) return;
      const extra = net.reqExtra(s);
      const r = t.findConn(to, from);
      if (type === MT.CONNECT_OK) {
        const ok = payload as ConnectOk;
        if (r < 0) return; // given up meanwhile
        if (t.cFlags[r]! & F_PENDING) establish(to, r, ok.via);
        else if (ok.via >= 0 && t.cFlags[r]! & F_RELAY && to > from) setVia(to, r, ok.via);
        t.cPeerVer[r] = fromVer;
        t.cHeard[r] = nowRel();
        const key = t.keyOf(from, fromVer);
        views.setVer(to, from, fromVer, key);
        if (views.merge(to, from, fromVer, key, ok.lists)) ev.listsChanged(to);
      } else if (type === MT.CONNECT_NAT) {
        if (r < 0 || !(t.cFlags[r]! & F_PENDING)) return;
        const z = relays.chooseRelay(to, from, payload as Float64Array);
        if (z < 0) removePeer(to, from);
        else
          net.request(to, from, MT.RELAY_CONNECT, RQ.RELAY, z, new RelayConnectMsg(extra, t.inc[to]!, z), z);
      } else if (type === MT.PONG || type === MT.NACK) {
        if (r < 0) return;
        t.cFlags[r] = t.cFlags[r]! & ~F_PINGING;
        if (type === MT.PONG) t.cHeard[r] = nowRel();
        else if (ownNeed(to, r)) rehandshake(to, r);
        else removePeer(to, from);
      }
    },
    heardSince(x, p, sentAt) {
      const r = t.findConn(x, p);
      return r >= 0 && !(t.cFlags[r]! & F_PENDING) && t.cHeard[r]! >= t.rel(sentAt);
    },
    timeout(x, p, purpose, extra, sentAt) {
      if (purpose === RQ.RELAY || (purpose === RQ.PING && extra === 1)) {
        dropRelay(x, p);
        return;
      }
      const r = t.findConn(x, p);
      if (r >= 0 && t.cFlags[r]! & F_PENDING)
        removePeer(x, p); // even if peerDead ignores p (pinned)
      else if (r >= 0) t.cFlags[r] = t.cFlags[r]! & ~F_PINGING;
      if (!links.heardSince(x, p, sentAt)) ev.peerDead(x, p);
    },
  };
  return links;
}
