/**
 * The overlay protocol of one node, driven by its periodic tick and by messages: stabilisation with L1
 * and R1 (GET_NBRS → NBRS, merge, notify new neighbours by connecting to them), failure detection by
 * request timeout, recovery of an empty side, shortcut maintenance, keep-alives and probes of remembered
 * peers. Everything here reads only the node's own state and what messages carried.
 */
import type { EngineCtx } from './context.js';
import { EV, TH_DHT, TH_ROUTING, TH_TIMERS } from './context.js';
import type { Links } from './links.js';
import { createLinks } from './links.js';
import type { Lookups } from './lookup.js';
import { createLookups } from './lookup.js';
import type { Metrics } from './metrics.js';
import type { Net } from './net.js';
import { MT, RQ } from './net.js';
import { P_STAB_L, P_STAB_R } from './tables.js';
import type { ListsMsg, Views } from './views.js';

/**
 * Contract: nodeStarted() must be called once per incarnation after the tables were reset; ticks and
 * replies of an older incarnation are ignored; peerDead never removes a pinned (stale-neighbor) entry.
 */
export interface Protocol {
  readonly links: Links;
  readonly lookups: Lookups;
  nodeStarted(x: number, join: boolean): void;
  onTick(x: number, inc: number): void;
  peerDead(x: number, p: number): void;
  listsChanged(x: number): void;
}

/** The views' suspect handler: ask a blacklisted peer that others still report for its lists directly. */
export function verifySuspect(net: Net): (x: number, p: number) => void {
  return (x, p) => void net.request(x, p, MT.GET_NBRS, RQ.VERIFY, 0);
}

export function createProtocol(ctx: EngineCtx, views: Views, net: Net, metrics: Metrics): Protocol {
  const { t, opts, queue } = ctx;
  const k = t.k;
  const nextKeep = new Float64Array(t.n);
  const nextProbe = new Float64Array(t.n);
  const lastL1 = new Int32Array(t.n).fill(-1);
  const lastR1 = new Int32Array(t.n).fill(-1);
  // every tick after a node's first is exactly stabilizeMs later: a FIFO lane, not the heap
  const tickLane = queue.lane(opts.stabilizeMs);

  const stalled = (x: number, th: number): boolean => ((t.stallMask[x]! >> th) & 1) === 1;

  function listsChanged(x: number): void {
    const l1 = t.left[x * k]!;
    const r1 = t.right[x * k]!;
    if (!t.joined[x] && l1 >= 0 && r1 >= 0) {
      // neighbours on both sides (from a join reply or from peers that found it): it is in the ring
      t.joined[x] = 1;
      ctx.stats.joins++;
      ctx.log(x, 'info', 'joined the ring', { left: t.hex[l1], right: t.hex[r1] });
    }
    if (l1 !== lastL1[x] || r1 !== lastR1[x]) {
      lastL1[x] = l1;
      lastR1[x] = r1;
      if (t.joined[x]) {
        ctx.log(x, 'info', 'neighbours changed', {
          left: l1 >= 0 ? t.hexOf(l1, t.leftVer[x * k]!) : null,
          right: r1 >= 0 ? t.hexOf(r1, t.rightVer[x * k]!) : null,
        });
      }
    }
    links.ensureNear(x);
    links.trim(x);
  }

  function peerDead(x: number, p: number): void {
    const pin = ctx.pins.get(x);
    if (pin && pin.peer === p) return; // stale-neighbor fault: the node never notices
    const known = views.inLists(x, p);
    const removed = views.remove(x, p);
    links.dropPeer(x, p);
    views.blacklist(x, p);
    views.remember(x, p);
    if (known) ctx.log(x, 'warn', 'peer lost', { peer: t.hex[p], index: p });
    if (removed) listsChanged(x);
    if (lookups.joiningVia(x) === p) lookups.startJoin(x, true); // the bootstrap peer is down: try another
  }

  const links = createLinks(ctx, views, net, metrics, { listsChanged, peerDead });
  const lookups = createLookups(ctx, views, net, links, listsChanged);

  function stabilise(x: number): void {
    const l1 = t.left[x * k]!;
    const r1 = t.right[x * k]!;
    if (l1 < 0 || r1 < 0) lookups.startRecover(x);
    const pend = t.pend[x]!;
    if (r1 >= 0 && !(pend & P_STAB_R)) {
      t.pend[x] = t.pend[x]! | P_STAB_R;
      net.request(x, r1, MT.GET_NBRS, RQ.STAB_R, 0);
    }
    if (l1 >= 0 && l1 !== r1 && !(pend & P_STAB_L)) {
      t.pend[x] = t.pend[x]! | P_STAB_L;
      net.request(x, l1, MT.GET_NBRS, RQ.STAB_L, 0);
    }
    links.ensureNear(x, true);
    if (opts.shortcuts > 0 && links.outShortcuts(x) < opts.shortcuts) lookups.startShortcut(x);
  }

  net.bind({
    onMessage(to, from, type, fromVer, code, payload) {
      // connection liveness is not refreshed per message (a record scan per message is the hottest cost at
      // 10^5 nodes): every connection idle for keepAliveMs, L1/R1 included, gets its keep-alive ping. The
      // sender's ID version is checked against the lists (6 entries): a changed ID re-sorts them.
      if (views.noteVer(to, from, fromVer)) listsChanged(to);
      switch (type) {
        case MT.GET_NBRS:
          if (views.merge(to, from, fromVer, t.keyOf(from, fromVer), null)) listsChanged(to);
          net.send(to, from, MT.NBRS, code, views.payload(to));
          return;
        case MT.NBRS: {
          const s = net.take(code);
          if (s < 0) return;
          const purpose = net.reqPurpose(s);
          const left = purpose === RQ.STAB_L;
          if (purpose !== RQ.VERIFY) t.pend[to] = t.pend[to]! & ~(left ? P_STAB_L : P_STAB_R);
          const key = t.keyOf(from, fromVer);
          const lists = payload as ListsMsg;
          views.setVer(to, from, fromVer, key);
          let changed =
            purpose !== RQ.VERIFY && views.trustNeighbour(to, from, lists, left ? 'left' : 'right');
          changed = views.merge(to, from, fromVer, key, lists) || changed;
          if (changed) listsChanged(to);
          return;
        }
        case MT.LOOKUP:
          lookups.onLookup(to, from, code, payload);
          return;
        case MT.HOP_ACK:
          net.take(code);
          return;
        case MT.LOOKUP_REPLY:
          lookups.onReply(to, from, fromVer, code, payload as ListsMsg);
          return;
        default:
          links.handle(to, from, type, fromVer, code, payload);
      }
    },
    onTimeout(x, p, purpose, extra, sentAt, payload, relayed) {
      // silence over a relay is the relay's fault until shown otherwise: drop that connection, not the peer
      const dead = (): void => {
        if (relayed) links.relayFailed(x, p);
        else if (!links.heardSince(x, p, sentAt)) peerDead(x, p);
      };
      switch (purpose) {
        case RQ.HOP:
          dead();
          lookups.onHopTimeout(x, payload);
          return;
        case RQ.STAB_L:
        case RQ.STAB_R:
          t.pend[x] = t.pend[x]! & ~(purpose === RQ.STAB_L ? P_STAB_L : P_STAB_R);
          // a peer that reached us after the request left is alive (e.g. it restarted meanwhile)
          dead();
          return;
        case RQ.CONNECT:
        case RQ.RELAY:
        case RQ.PING:
          links.timeout(x, p, purpose, extra, sentAt);
          return;
        case RQ.VERIFY:
          return; // still silent: it stays blacklisted
        default:
          lookups.onTimeout(x, purpose, extra);
      }
    },
  });

  return {
    links,
    lookups,
    nodeStarted(x, join) {
      const now = ctx.now();
      nextKeep[x] = now + ctx.rng.next() * opts.keepAliveMs;
      nextProbe[x] = now + (0.5 + ctx.rng.next()) * opts.probeMs;
      lastL1[x] = t.left[x * k]!;
      lastR1[x] = t.right[x * k]!;
      queue.push(now + 1 + ctx.rng.next() * opts.stabilizeMs, EV.STAB, x, 0, t.inc[x]!, 0);
      if (join) lookups.startJoin(x);
    },
    onTick(x, inc) {
      if (t.inc[x] !== inc || !t.alive[x]) return;
      const now = ctx.now();
      queue.pushLane(tickLane, EV.STAB, x, 0, inc, 0);
      ctx.beat(x, TH_TIMERS);
      if (stalled(x, TH_TIMERS)) return;
      if (now >= nextKeep[x]!) {
        // sweep a third of the period: each connection is pinged 15-20 s after it was last heard from
        nextKeep[x] = now + opts.keepAliveMs / 3;
        links.keepalive(x);
      }
      ctx.beat(x, TH_DHT);
      if (stalled(x, TH_ROUTING)) return;
      ctx.beat(x, TH_ROUTING);
      if (!t.joined[x]) {
        lookups.startJoin(x);
        return;
      }
      stabilise(x);
      if (now >= nextProbe[x]!) {
        nextProbe[x] = now + opts.probeMs;
        lookups.startProbe(x);
      }
    },
    peerDead,
    listsChanged,
  };
}
