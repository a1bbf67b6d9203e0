/**
 * Public types of the simulation engine: what the host layer passes in (options, hooks) and what it reads
 * back (snapshots, answer modes, fault records). Peers are referenced by node INDEX; the host maps an index
 * to the endpoint of that node's agent.
 */
import type { LatencyModel, RttMatrix } from './latency.js';

export const THREADS = ['message-queue', 'routing', 'dht', 'timers'] as const;
export type ThreadName = (typeof THREADS)[number];

export type SimLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Callbacks into the host, one call per event. Contract: called synchronously from inside the engine's
 * clock callback (or from start()/injectFault()); they must not throw and should not call back into the
 * ring re-entrantly except for read-only queries (snapshot, alive, answerMode, ...).
 */
export interface NodeHooks {
  /** Node (re)started: the host (re)creates its agent/listener. */
  up(index: number): void;
  /** Node stopped: the host closes its listener. */
  down(index: number): void;
  /** The node's named thread did work (throttled to at most one call per beatIntervalMs per thread). */
  beat(index: number, thread: string): void;
  log(index: number, level: SimLogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/** How the host's agent for a node must answer HTTP requests right now (closed union). */
export type AnswerMode =
  | { kind: 'normal' }
  | { kind: 'down' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' }
  | { kind: 'garbage' };

/**
 * Options of createSimRing. Only `nodes` is required; every other field has the default noted.
 * Contract: invalid values make createSimRing throw an Error naming the field.
 */
export interface SimRingOptions {
  /** Number of nodes N (1..1,000,000). Exactly one of `nodes` and its alias `size` is required. */
  nodes?: number;
  /** Alias of `nodes`. */
  size?: number;
  /** PRNG seed; the same seed and inputs reproduce the same run. Default 1. */
  seed?: number;
  /** 'join' (default): nodes join through the protocol in doubling waves. 'converged': views start as the
   * true ring at t=0 (initial condition only; maintained by the protocol afterwards). */
  bootstrap?: 'join' | 'converged';
  /** Fraction of NAT'd nodes. Default 0.2. */
  natFraction?: number;
  /** Neighbour candidates kept per side (L1..Lk, R1..Rk). Default 3. */
  nearPerSide?: number;
  /** Outbound shortcuts per node. Default max(1, round(log2(N) / 2)). */
  shortcuts?: number;
  /** Stabilisation period. Default 1000 ms. */
  stabilizeMs?: number;
  /** Keep-alive period per connection. Default 15000 ms. */
  keepAliveMs?: number;
  /** Timeout of a request to a peer (stabilise, connect, ping); a timeout means the peer is dead. Default 2000. */
  requestTimeoutMs?: number;
  /** Timeout of a routed lookup (join, recovery, shortcut, probe). Default 5000 ms. */
  lookupTimeoutMs?: number;
  /** Interval of a node's self-lookup through a remembered peer (heals partitions). Default 30000 ms. */
  probeMs?: number;
  /** How long a node ignores second-hand news of a peer it found dead. Default 60000 ms. */
  blacklistMs?: number;
  /** Relay choice for NAT'd pairs. Default 'latency'. */
  relaySelection?: 'latency' | 'age';
  /** Constant RTT when no matrix is given. Default 100 ms. */
  latencyMs?: number;
  /** RTT matrix file (µs), e.g. shared/data/latency/rtt_matrix.txt. */
  latencyMatrix?: string;
  /** Already-parsed RTT matrix (takes precedence over latencyMatrix). */
  rttMatrix?: RttMatrix;
  /** Per-link jitter fraction. Default 0.05 with a matrix, 0 with a constant. */
  latencyJitter?: number;
  /** Matrix host of the crawler (crawlerRttMs). Default: seeded random host. */
  crawlerHost?: number;
  /** A prebuilt latency model (overrides the four latency fields above). */
  latency?: LatencyModel;
  /** Restarts per node per hour (Poisson). Default 0. */
  churnPerHour?: number;
  /** Downtime range of a churn restart, [min, max] ms. Default [2000, 30000]. */
  downtimeMs?: [number, number];
  /** Deadline of every thread (reported; the host decides "stalled"). Default 5000 ms. */
  threadDeadlineMs?: number;
  /** Minimum interval between two beat() calls of one thread of one node. Default 1000 ms. */
  beatIntervalMs?: number;
  /** Mean application traffic per node, bytes/s each way. Default 2048. */
  appBytesPerSec?: number;
  /** Stabilisation rounds after the last join before ready() resolves. Default 3. */
  readyRounds?: number;
}

/** A neighbour as a node believes it: its index and the ID it believes that peer has. */
export interface PeerRef {
  index: number;
  id: string;
}

export type SimConnectionKind = 'near' | 'shortcut' | 'relay' | 'leaf';

/**
 * One established connection as the node reports it. Contract: `via`/`viaIndex` are present exactly when
 * kind is 'relay'; rttMs is the sum of both legs for a relay; bytes grow with ageSeconds (reset when the
 * connection is re-established).
 */
export interface ConnectionSnapshot {
  peer: number;
  /** The ID this node believes the peer has. */
  peerId: string;
  kind: SimConnectionKind;
  /** Relay node's ID, present exactly when kind is 'relay'. */
  via?: string;
  viaIndex?: number;
  /** True when this node opened the connection for its own needs (near, shortcut, leaf). */
  outbound: boolean;
  rttMs: number;
  ageSeconds: number;
  bytesIn: number;
  bytesOut: number;
}

/** Node traffic since its start (monotonic within an incarnation): protocol messages + application data. */
export interface TrafficSnapshot {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
}

/** Process figures: rss > heapUsed; heap has a GC sawtooth; cpuSeconds is monotonic within an incarnation. */
export interface ProcessSnapshot {
  rssBytes: number;
  heapUsedBytes: number;
  cpuSeconds: number;
  eventLoopLagMs: number;
}

/** A worker thread as seen by the engine (the host derives running/stalled from beats and deadlines). */
export interface ThreadSnapshot {
  name: ThreadName;
  /** Epoch ms of the last beat (0 before the first). */
  lastBeatAt: number;
  stalled: boolean;
}

/**
 * What a node's agent serves, computed from that node's own state only (never from global truth).
 * Counters are since the node's start (startedAt) and reset on restart.
 */
export interface NodeSnapshot {
  index: number;
  /** The node's true current ID (hex). */
  id: string;
  alive: boolean;
  joined: boolean;
  nat: boolean;
  /** Epoch ms of the current incarnation's start (0 if never started). */
  startedAt: number;
  ring: { left: PeerRef[]; right: PeerRef[] };
  connections: ConnectionSnapshot[];
  traffic: TrafficSnapshot;
  process: ProcessSnapshot;
  queueDepth: number;
  /** Relayed connections currently passing through this node. */
  relaying: number;
  threads: ThreadSnapshot[];
}

export type FaultKind =
  | 'kill'
  | 'restart'
  | 'mass-loss'
  | 'partition'
  | 'stale-neighbor'
  | 'stall-thread'
  | 'leak'
  | 'slow'
  | 'hang'
  | 'garbage'
  | 'lie-id'
  | 'duplicate-id';

/** An injected fault. `spec` is the validated input (defaults applied). */
export interface FaultRecord {
  id: string;
  kind: FaultKind;
  targets: number[];
  targetIds: string[];
  spec: Record<string, unknown>;
  startedAt: number;
  /** Epoch ms at which it ends by itself (durationMs, or restart's downMs). */
  endsAt?: number;
  active: boolean;
}

/** A rejected request (invalid JSON shape, unknown node, ...): a stable code and a readable message. */
export interface SimError {
  code: 'invalid_fault' | 'invalid_scenario' | 'unknown_node' | 'no_targets' | 'conflict' | 'not_started';
  message: string;
}

export type InjectResult = { ok: true; fault: FaultRecord } | { ok: false; error: SimError };

/** A scheduled scenario and its progress (steps run so far, faults injected, errors). */
export interface ScenarioRecord {
  id: string;
  steps: number;
  startedAt: number;
  /** Fault IDs injected so far, in step order. */
  injected: string[];
  errors: { step: number; error: SimError }[];
  cancelled: boolean;
}

export type ScheduleResult =
  { ok: true; scheduled: number; scenario: ScenarioRecord } | { ok: false; error: SimError };

/** Engine counters (cumulative since createSimRing) and current sizes. */
export interface SimStats {
  now: number;
  events: number;
  pendingEvents: number;
  messages: number;
  dropped: number;
  timeouts: number;
  lookups: number;
  joins: number;
  restarts: number;
  connections: number;
  alive: number;
}
