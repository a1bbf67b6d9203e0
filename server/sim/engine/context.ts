/**
 * Shared engine context: resolved options, event kinds and the handles every engine module receives
 * (clock, hooks, queue, tables, latency, randomness, counters). Created once per ring; nothing global.
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { EventQueue } from './event-queue.js';
import type { LatencyModel } from './latency.js';
import type { Prng } from './prng.js';
import type { NodeTables } from './tables.js';
import { THREAD_COUNT } from './tables.js';
import type { NodeHooks, SimLogLevel, SimRingOptions } from './types.js';
import { THREADS } from './types.js';

/** Event kinds of the queue. */
export const EV = {
  STAB: 1,
  MSG: 3,
  TIMEOUT: 4,
  CHURN_DOWN: 5,
  CHURN_UP: 6,
  WAVE: 7,
  READY: 8,
  FAULT_END: 9,
  SCENARIO: 10,
  COMPACT: 11,
} as const;

/** Thread indices (order of THREADS). */
export const TH_MQ = 0;
export const TH_ROUTING = 1;
export const TH_DHT = 2;
export const TH_TIMERS = 3;

const Nodes = z.number().int().min(1).max(1_000_000);
const OptionsSchema = z.strictObject({
  nodes: Nodes.optional(),
  size: Nodes.optional(),
  seed: z.number().int().default(1),
  bootstrap: z.enum(['join', 'converged']).default('join'),
  natFraction: z.number().min(0).max(1).default(0.2),
  nearPerSide: z.number().int().min(1).max(16).default(3),
  shortcuts: z.number().int().min(0).max(64).optional(),
  stabilizeMs: z.number().int().min(10).default(1000),
  keepAliveMs: z.number().int().min(100).default(15000),
  requestTimeoutMs: z.number().int().min(10).default(2000),
  lookupTimeoutMs: z.number().int().min(10).default(5000),
  probeMs: z.number().int().min(100).default(30000),
  blacklistMs: z.number().int().min(0).default(60000),
  relaySelection: z.enum(['latency', 'age']).default('latency'),
  latencyMs: z.number().min(0).optional(),
  latencyMatrix: z.string().optional(),
  rttMatrix: z
    .custom<{ size: number; us: Int32Array }>((v) => typeof v === 'object' && v !== null)
    .optional(),
  latencyJitter: z.number().min(0).max(0.9).optional(),
  crawlerHost: z.number().int().min(0).optional(),
  latency: z.custom<LatencyModel>((v) => typeof v === 'object' && v !== null).optional(),
  churnPerHour: z.number().min(0).default(0),
  downtimeMs: z
    .tuple([z.number().min(0), z.number().min(0)])
    .refine(([a, b]) => a <= b, 'downtimeMs must be [min, max] with min <= max')
    .default([2000, 30000]),
  threadDeadlineMs: z.number().int().positive().default(5000),
  beatIntervalMs: z.number().int().min(0).default(1000),
  appBytesPerSec: z.number().min(0).default(2048),
  readyRounds: z.number().int().min(0).default(3),
});

export type ResolvedOptions = Omit<z.output<typeof OptionsSchema>, 'shortcuts' | 'nodes' | 'size'> & {
  size: number;
  shortcuts: number;
};

/** Validates and fills defaults; throws an Error listing every invalid field. */
export function resolveOptions(opts: SimRingOptions): ResolvedOptions {
  const r = OptionsSchema.safeParse(opts);
  if (!r.success) throw new Error(`invalid SimRingOptions: ${z.prettifyError(r.error)}`);
  const { nodes, size, ...o } = r.data;
  if ((nodes === undefined) === (size === undefined) && nodes !== size) {
    throw new Error('invalid SimRingOptions: give the node count as `nodes` (or its alias `size`), once');
  }
  const n = nodes ?? size;
  if (n === undefined) throw new Error('invalid SimRingOptions: `nodes` is required');
  return { ...o, size: n, shortcuts: o.shortcuts ?? Math.max(1, Math.round(Math.log2(n) / 2)) };
}

/** Mutable run counters (see SimStats). */
export interface EngineStats {
  messages: number;
  dropped: number;
  timeouts: number;
  lookups: number;
  joins: number;
  restarts: number;
}

/** A stale-neighbor pin: node keeps `peer` (believed version `ver`) as first entry of `side`. */
export interface Pin {
  side: 'left' | 'right';
  peer: number;
  ver: number;
}

/**
 * Everything an engine module may touch. Contract: single-threaded; modules mutate tables only through
 * the protocol rules; now() is the current simulated time (epoch ms).
 */
export interface EngineCtx {
  readonly opts: ResolvedOptions;
  readonly clock: Clock;
  readonly hooks: NodeHooks;
  readonly queue: EventQueue;
  readonly t: NodeTables;
  readonly lat: LatencyModel;
  readonly rng: Prng;
  readonly seed: number;
  readonly stats: EngineStats;
  readonly pins: Map<number, Pin>;
  partitionActive: boolean;
  now(): number;
  /** Calls hooks.beat unless the thread is stalled or beat less than beatIntervalMs ago. */
  beat(node: number, thread: number): void;
  log(node: number, level: SimLogLevel, msg: string, fields?: Record<string, unknown>): void;
}

export function createEngineCtx(deps: {
  opts: ResolvedOptions;
  clock: Clock;
  hooks: NodeHooks;
  queue: EventQueue;
  t: NodeTables;
  lat: LatencyModel;
  rng: Prng;
}): EngineCtx {
  const { opts, hooks, queue, t } = deps;
  const every = opts.beatIntervalMs;
  return {
    ...deps,
    seed: opts.seed,
    stats: { messages: 0, dropped: 0, timeouts: 0, lookups: 0, joins: 0, restarts: 0 },
    pins: new Map(),
    partitionActive: false,
    now: () => queue.now(),
    beat(node, thread) {
      if ((t.stallMask[node]! >> thread) & 1) return;
      const slot = node * THREAD_COUNT + thread;
      const now = queue.now();
      if (t.lastBeat[slot]! > 0 && now - t.lastBeat[slot]! < every) return;
      t.lastBeat[slot] = now;
      hooks.beat(node, THREADS[thread]!);
    },
    log(node, level, msg, fields) {
      hooks.log(node, level, msg, fields);
    },
  };
}
