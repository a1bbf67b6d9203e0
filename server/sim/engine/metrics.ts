/**
 * Lazily evaluated per-node metrics. Nothing ticks per node per second: counters are
 * (counted protocol messages) + (integral of the node's current traffic rate, flushed whenever the rate
 * changes), and process figures are closed-form functions of (seed, node, uptime, connection count).
 */
import type { EngineCtx } from './context.js';
import { hashUnit } from './prng.js';
import type { ProcessSnapshot, TrafficSnapshot } from './types.js';

const KIND_BASE_BPS = [40, 12, 4, 24]; // near, shortcut, leaf, relay: protocol/keep-alive bytes per second
const APP_PACKET_BYTES = 512;
const MB = 1024 * 1024;

/** A leak in progress on one node. */
export interface LeakState {
  since: number;
  bytesPerSec: number;
  queuePerSec: number;
}

/**
 * Contract: traffic counters and cpuSeconds never decrease between two calls for the same incarnation;
 * reset() (called on every start) zeroes them. connAdded/connRemoved (and relayAdded/relayRemoved) must
 * be called in matching pairs with the same arguments.
 */
export interface Metrics {
  reset(i: number): void;
  connAdded(i: number, peer: number, rateKind: number): void;
  connRemoved(i: number, peer: number, rateKind: number): void;
  relayAdded(z: number, x: number, y: number): void;
  relayRemoved(z: number, x: number, y: number): void;
  sent(i: number, bytes: number): void;
  received(i: number, bytes: number): void;
  relayed(z: number, bytes: number): void;
  processed(i: number): void;
  setLeak(i: number, leak: LeakState | undefined): void;
  connBytes(
    i: number,
    peer: number,
    rateKind: number,
    ageSeconds: number,
  ): { bytesIn: number; bytesOut: number };
  relaying(i: number): number;
  traffic(i: number, now: number): TrafficSnapshot;
  process(i: number, now: number): ProcessSnapshot;
  queueDepth(i: number, now: number): number;
}

export function createMetrics(ctx: EngineCtx): Metrics {
  const { t, opts, seed } = ctx;
  const n = t.n;
  const protoIn = new Float64Array(n);
  const protoOut = new Float64Array(n);
  const pktIn = new Float64Array(n);
  const pktOut = new Float64Array(n);
  const accT = new Float64Array(n);
  const accIn = new Float64Array(n);
  const accOut = new Float64Array(n);
  const rIn = new Float64Array(n);
  const rOut = new Float64Array(n);
  const msgs = new Float64Array(n);
  const nConn = new Uint16Array(n);
  const nRelay = new Uint16Array(n);
  const leaks = new Map<number, LeakState>();
  const perConnApp = opts.appBytesPerSec / Math.max(1, 2 * opts.nearPerSide + 2 * opts.shortcuts);

  const h = (i: number, salt: number): number => hashUnit(seed, i, salt, 0x51);
  const appFactor = (i: number): number => 0.25 + 1.5 * h(i, 77);
  const connRate = (i: number, peer: number, kind: number, dir: number): number =>
    KIND_BASE_BPS[kind]! + perConnApp * appFactor(i) * (0.5 + hashUnit(seed, i, peer, 31 + dir));

  function flush(i: number): void {
    const now = ctx.clock.now();
    const dt = Math.max(0, now - accT[i]!) / 1000;
    accIn[i] = accIn[i]! + rIn[i]! * dt;
    accOut[i] = accOut[i]! + rOut[i]! * dt;
    if (now > accT[i]!) accT[i] = now;
  }

  function addRate(i: number, din: number, dout: number, zeroWhenIdle: boolean): void {
    flush(i);
    rIn[i] = rIn[i]! + din;
    rOut[i] = rOut[i]! + dout;
    if (zeroWhenIdle || rIn[i] < 0 || rOut[i] < 0) {
      rIn[i] = Math.max(0, zeroWhenIdle ? 0 : rIn[i]);
      rOut[i] = Math.max(0, zeroWhenIdle ? 0 : rOut[i]);
    }
  }

  function leakAge(i: number, now: number): { age: number; leak: LeakState | undefined } {
    const leak = leaks.get(i);
    return { leak, age: leak ? Math.max(0, now - Math.max(leak.since, t.startedAt[i]!)) / 1000 : 0 };
  }

  const metrics: Metrics = {
    reset(i) {
      protoIn[i] = protoOut[i] = pktIn[i] = pktOut[i] = 0;
      accIn[i] = accOut[i] = rIn[i] = rOut[i] = msgs[i] = 0;
      nConn[i] = nRelay[i] = 0;
      accT[i] = ctx.clock.now();
    },
    connAdded(i, peer, kind) {
      nConn[i] = nConn[i]! + 1;
      addRate(i, connRate(i, peer, kind, 1), connRate(i, peer, kind, 0), false);
    },
    connRemoved(i, peer, kind) {
      if (nConn[i] === 0) return;
      nConn[i] = nConn[i]! - 1;
      addRate(i, -connRate(i, peer, kind, 1), -connRate(i, peer, kind, 0), nConn[i] === 0 && nRelay[i] === 0);
    },
    relayAdded(z, x, y) {
      nRelay[z] = nRelay[z]! + 1;
      const r = connRate(x, y, 3, 0) + connRate(x, y, 3, 1);
      addRate(z, r, r, false);
    },
    relayRemoved(z, x, y) {
      if (nRelay[z] === 0) return;
      nRelay[z] = nRelay[z]! - 1;
      const r = connRate(x, y, 3, 0) + connRate(x, y, 3, 1);
      addRate(z, -r, -r, nConn[z] === 0 && nRelay[z] === 0);
    },
    sent(i, bytes) {
      protoOut[i] = protoOut[i]! + bytes;
      pktOut[i] = pktOut[i]! + 1;
    },
    received(i, bytes) {
      protoIn[i] = protoIn[i]! + bytes;
      pktIn[i] = pktIn[i]! + 1;
    },
    relayed(z, bytes) {
      metrics.received(z, bytes);
      metrics.sent(z, bytes);
    },
    processed(i) {
      msgs[i] = msgs[i]! + 1;
    },
    setLeak(i, leak) {
      if (leak) leaks.set(i, leak);
      else leaks.delete(i);
    },
    connBytes(i, peer, kind, age) {
      return {
        bytesIn: Math.floor(age * connRate(i, peer, kind, 1)),
        bytesOut: Math.floor(age * connRate(i, peer, kind, 0)),
      };
    },
    relaying: (i) => nRelay[i]!,
    traffic(i, now) {
      const dt = Math.max(0, now - accT[i]!) / 1000;
      const appIn = accIn[i]! + rIn[i]! * dt;
      const appOut = accOut[i]! + rOut[i]! * dt;
      return {
        bytesIn: Math.floor(protoIn[i]! + appIn),
        bytesOut: Math.floor(protoOut[i]! + appOut),
        packetsIn: Math.floor(pktIn[i]! + appIn / APP_PACKET_BYTES),
        packetsOut: Math.floor(pktOut[i]! + appOut / APP_PACKET_BYTES),
      };
    },
    process(i, now) {
      const age = Math.max(0, now - t.startedAt[i]!) / 1000;
      const { leak, age: la } = leakAge(i, now);
      const leakBytes = leak ? la * leak.bytesPerSec : 0;
      const heapBase = 14 * MB + 10 * MB * h(i, 1);
      const perConn = nConn[i]! * 48 * 1024 + nRelay[i]! * 12 * 1024;
      const amp = 3 * MB + 9 * MB * h(i, 2);
      const period = 20 + 60 * h(i, 3);
      const phase = age / period + h(i, 4);
      const saw = amp * (phase - Math.floor(phase));
      const tr = metrics.traffic(i, now);
      const spike = hashUnit(seed, i, Math.floor(now / 1000), 8) < 0.01 ? 5 + 45 * h(i, 9) : 0;
      return {
        heapUsedBytes: Math.floor(heapBase + perConn + saw + leakBytes),
        rssBytes: Math.floor(heapBase + perConn + amp + 30 * MB + 15 * MB * h(i, 5) + leakBytes * 1.1),
        cpuSeconds: age * (0.002 + 0.006 * h(i, 6)) + (tr.bytesIn + tr.bytesOut) * 4e-8 + msgs[i]! * 1.5e-5,
        eventLoopLagMs:
          0.3 + 1.5 * hashUnit(seed, i, Math.floor(now / 1000), 10) + spike + Math.min(2000, la * 0.5),
      };
    },
    queueDepth(i, now) {
      const base = Math.floor(4 * hashUnit(seed, i, Math.floor(now / 500), 11) ** 3);
      const { leak, age } = leakAge(i, now);
      return base + t.backlog[i]! + (leak ? Math.floor(age * leak.queuePerSec) : 0);
    },
  };
  return metrics;
}
