/**
 * createSimRing: the simulated Symphony/Brunet-like ring, wired from the engine modules. The host layer
 * wraps each node index in a real HTTP agent and serves snapshot(index) under answerMode(index).
 */
import type { Clock } from '../../core/clock.js';
import type { EngineCtx } from './context.js';
import { createEngineCtx, EV, resolveOptions } from './context.js';
import { createEventQueue } from './event-queue.js';
import { createFaults } from './faults.js';
import { randomId } from './ids.js';
import type { LatencyModel } from './latency.js';
import { createLatencyModel } from './latency.js';
import { createLifecycle } from './lifecycle.js';
import { createMetrics } from './metrics.js';
import { createNet } from './net.js';
import { createPrng } from './prng.js';
import { createProtocol, verifySuspect } from './protocol.js';
import { createScenarios } from './scenario.js';
import { createSnapshotter } from './snapshot.js';
import { createNodeTables } from './tables.js';
import type {
  AnswerMode,
  FaultRecord,
  InjectResult,
  NodeHooks,
  NodeSnapshot,
  ScenarioRecord,
  ScheduleResult,
  SimRingOptions,
  SimStats,
} from './types.js';
import { THREADS } from './types.js';
import { createViews } from './views.js';

/**
 * A running simulated ring. Contract: nothing happens before start(); all time comes from the injected
 * Clock; index arguments outside [0, size) throw a RangeError; injectFault/schedule never throw;
 * trueRing() is global truth FOR TESTS ONLY and is never used by node views.
 */
export interface SimRing {
  readonly size: number;
  readonly latency: LatencyModel;
  start(): void;
  /** Resolves when bootstrap finished (all nodes joined and readyRounds stabilisation rounds passed). */
  ready(): Promise<void>;
  isReady(): boolean;
  stop(): void;
  /** True current ID (40-char hex). */
  nodeId(index: number): string;
  /** The ID the node's agent reports (differs under a lie-id fault). */
  reportedId(index: number): string;
  alive(index: number): boolean;
  answerMode(index: number): AnswerMode;
  snapshot(index: number): NodeSnapshot;
  /** RTT between the crawler's host and the node's host (for answer delays). */
  crawlerRttMs(index: number): number;
  threads(): readonly string[];
  threadDeadlineMs(thread: string): number;
  injectFault(json: unknown): InjectResult;
  clearFault(id: string): boolean;
  faults(): FaultRecord[];
  schedule(scenario: unknown): ScheduleResult;
  cancelScenario(id: string): boolean;
  scenarios(): ScenarioRecord[];
  /** Changes the churn rate (restarts per node per hour) from now on; 0 stops new churn. */
  setChurn(perHour: number): void;
  /** Indices of alive nodes in ring (ID) order. FOR TESTS ONLY. */
  trueRing(): number[];
  stats(): SimStats;
}

/** Interval of the connection-pool compaction (keeps each node's records contiguous in memory). */
const COMPACT_EVERY_MS = 20_000;

export function createSimRing(options: SimRingOptions, deps: { clock: Clock; hooks: NodeHooks }): SimRing {
  const opts = resolveOptions(options);
  const { clock, hooks } = deps;
  const n = opts.size;
  const root = createPrng(opts.seed);
  const idRng = root.fork();
  const natRng = root.fork();
  const lat =
    opts.latency ??
    createLatencyModel({
      seed: opts.seed,
      latencyMs: opts.latencyMs,
      matrixFile: opts.latencyMatrix,
      matrix: opts.rttMatrix,
      jitter: opts.latencyJitter,
      crawlerHost: opts.crawlerHost,
    });
  const ids = Array.from({ length: n }, () => randomId(idRng));
  const t = createNodeTables(
    n,
    opts.nearPerSide,
    ids,
    clock.now(),
    n * (2 * opts.nearPerSide + 2 * opts.shortcuts + 4),
  );
  for (let i = 0; i < n; i++) t.nat[i] = natRng.next() < opts.natFraction ? 1 : 0;

  const queue = createEventQueue({ clock, handler: (kind, a, b, c, d, p) => dispatch(kind, a, b, c, d, p) });
  const ctx: EngineCtx = createEngineCtx({ opts, clock, hooks, queue, t, lat, rng: root.fork() });
  const metrics = createMetrics(ctx);
  const net = createNet(ctx, metrics);
  const views = createViews(ctx, verifySuspect(net));
  const protocol = createProtocol(ctx, views, net, metrics);
  const life = createLifecycle(ctx, views, metrics, protocol);
  const faults = createFaults(ctx, { life, views, metrics, protocol });
  const scenarios = createScenarios(ctx, faults);
  const snapshot = createSnapshotter(ctx, views, metrics);
  let started = false;

  function dispatch(kind: number, a: number, b: number, c: number, d: number, payload: unknown): void {
    switch (kind) {
      case EV.STAB:
        return protocol.onTick(a, c);
      case EV.MSG:
        return net.deliver(a, b, c, d, payload);
      case EV.TIMEOUT:
        return net.expire(a, c);
      case EV.CHURN_DOWN:
        return life.onChurnDown(a, c, d);
      case EV.CHURN_UP:
        return life.onChurnUp(a, c);
      case EV.WAVE:
        return life.onWave();
      case EV.READY:
        return life.onReady();
      case EV.FAULT_END:
        return faults.onEnd(a);
      case EV.SCENARIO:
        return scenarios.onStep(a, b);
      case EV.COMPACT:
        t.compact();
        queue.push(queue.now() + COMPACT_EVERY_MS, EV.COMPACT, 0, 0, 0, 0);
        return;
    }
  }

  const check = (i: number): number => {
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new RangeError(`node index ${i} out of range [0, ${n})`);
    return i;
  };

  return {
    size: n,
    latency: lat,
    start() {
      if (started) return;
      started = true;
      queue.start();
      life.start();
      if (n >= 1000) queue.push(queue.now() + 1, EV.COMPACT, 0, 0, 0, 0);
    },
    ready: () => life.ready(),
    isReady: () => life.isReady(),
    stop() {
      queue.stop();
      life.stop();
    },
    nodeId: (i) => t.hex[check(i)]!,
    reportedId: (i) => faults.reportedId(check(i)),
    alive: (i) => t.alive[check(i)] === 1,
    answerMode: (i) => faults.answerMode(check(i)),
    snapshot: (i) => snapshot(check(i)),
    crawlerRttMs: (i) => lat.crawlerRttMs(check(i)),
    threads: () => THREADS,
    threadDeadlineMs: (thread) => {
      if (!(THREADS as readonly string[]).includes(thread)) throw new RangeError(`unknown thread ${thread}`);
      return opts.threadDeadlineMs;
    },
    injectFault: (json) =>
      started
        ? faults.inject(json)
        : { ok: false, error: { code: 'not_started', message: 'call start() first' } },
    clearFault: (id) => faults.clear(id),
    faults: () => faults.list(),
    schedule: (json) =>
      started
        ? scenarios.schedule(json)
        : { ok: false, error: { code: 'not_started', message: 'call start() first' } },
    cancelScenario: (id) => scenarios.cancel(id),
    scenarios: () => scenarios.list(),
    setChurn: (perHour) => life.setChurn(perHour),
    trueRing() {
      const out: number[] = [];
      for (let i = 0; i < n; i++) if (t.alive[i]) out.push(i);
      return out.sort(
        (a, b) => t.key[a]! - t.key[b]! || (t.ids[a]! < t.ids[b]! ? -1 : t.ids[a]! > t.ids[b]! ? 1 : a - b),
      );
    },
    stats() {
      let alive = 0;
      for (let i = 0; i < n; i++) alive += t.alive[i]!;
      const s = ctx.stats;
      return {
        now: queue.now(),
        events: queue.processed(),
        pendingEvents: queue.pending(),
        messages: s.messages,
        dropped: s.dropped,
        timeouts: s.timeouts,
        lookups: s.lookups,
        joins: s.joins,
        restarts: s.restarts,
        connections: t.conns,
        alive,
      };
    },
  };
}
