/**
 * createAgent's options: their types (the public contract) and validation, which throws one Error
 * naming the offending option.
 */
import { z } from 'zod';
import { TOKEN_PATTERN } from './auth.js';
import { describeIssues } from './endpoint.js';
import { DEFAULT_LOG_CAPACITY } from './log-buffer.js';
import type { LogCapacity } from './log-buffer.js';
import { EndpointSchema, NodeIdSchema, StatusSchema } from './schema.js';
import type { Connection, Neighbor, ProcessStats, Traffic } from './schema.js';

/** What the host knows about the overlay right now; read on every status request. */
export interface AgentView {
  /** Predecessors, closest first (L1, L2, ...), at most 16. */
  left: Neighbor[];
  /** Successors, closest first (R1, R2, ...), at most 16. */
  right: Neighbor[];
  /** Open overlay connections, at most 4096. */
  connections: Connection[];
}

/**
 * Options of createAgent. Contract: callbacks are called synchronously while answering a request and
 * must return current values quickly; a callback may throw StateUnavailableError to make the status
 * answer 503 with its code. Every option is validated at creation (unknown keys are rejected).
 */
export interface AgentOptions {
  /** 160-bit node ID, 40 lowercase hex characters; may be changed later with agent.setNodeId. */
  nodeId: string;
  /** Base URL of this agent as others reach it, http(s), no trailing slash. */
  endpoint: string;
  /** Software version of the node, 1..128 characters. */
  version: string;
  view: () => AgentView;
  /** Traffic totals; default: the agent's own counters fed by agent.countTraffic. */
  traffic?: () => Traffic;
  /** Process statistics; default: this process (see createProcessSampler). */
  processStats?: () => ProcessStats;
  /** Depth of the node's internal message queue; default 0. */
  queueDepth?: () => number;
  /** Clock, epoch ms; default Date.now. */
  now?: () => number;
  /** When the node started: epoch ms or an RFC 3339 string; default now() at creation. */
  startedAt?: number | string;
  /** Bearer token for GET /v1/logs (visible ASCII, 1..1024 chars); without it that route answers 403. */
  logToken?: string;
  /** Log ring-buffer bounds; defaults 1000 records / 262,144 bytes. */
  logCapacity?: { records?: number; bytes?: number };
  /** Validate every served status against StatusSchema (503 status_invalid on failure); default true. */
  validateStatus?: boolean;
  /** Receives unexpected errors raised while answering (which are answered 500); default: ignored. */
  onError?: (err: unknown) => void;
}

/** Options after validation and defaults. */
export interface ResolvedOptions {
  nodeId: string;
  endpoint: string;
  version: string;
  view: () => AgentView;
  traffic: (() => Traffic) | undefined;
  processStats: (() => ProcessStats) | undefined;
  queueDepth: (() => number) | undefined;
  now: () => number;
  startedAt: number;
  logToken: string | undefined;
  logCapacity: LogCapacity;
  validateStatus: boolean;
  onError: ((err: unknown) => void) | undefined;
}

export const LogCapacitySchema = z
  .strictObject({
    records: z.number().int().min(1).max(1_000_000).optional(),
    bytes: z.number().int().min(1024).max(67_108_864).optional(),
  })
  .optional();

const DataSchema = z.object({
  nodeId: NodeIdSchema,
  endpoint: EndpointSchema,
  version: StatusSchema.shape.version,
  logToken: z.string().regex(TOKEN_PATTERN, 'must be 1..1024 visible ASCII characters').optional(),
  logCapacity: LogCapacitySchema,
  validateStatus: z.boolean().optional(),
  startedAt: z
    .union([
      z.number().finite().min(0).max(8.64e15),
      z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
    ])
    .optional(),
});

const FUNCTIONS = ['view', 'traffic', 'processStats', 'queueDepth', 'now', 'onError'] as const;
const KNOWN = new Set<string>([...Object.keys(DataSchema.shape), ...FUNCTIONS]);

export function resolveOptions(options: AgentOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    throw new Error('createAgent: options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new Error(`createAgent: unknown option "${key}"`);
  }
  for (const key of FUNCTIONS) {
    const fn: unknown = options[key];
    if (fn === undefined && key !== 'view') continue;
    if (typeof fn !== 'function') throw new Error(`createAgent: option "${key}" must be a function`);
  }
  const parsed = DataSchema.safeParse(options);
  if (!parsed.success) throw new Error(`createAgent: invalid option ${describeIssues(parsed.error.issues)}`);
  const d = parsed.data;
  const now = options.now ?? Date.now;
  const startedAt = d.startedAt ?? now();
  if (!Number.isFinite(startedAt)) throw new Error('createAgent: now() must return epoch milliseconds');
  return {
    nodeId: d.nodeId,
    endpoint: d.endpoint,
    version: d.version,
    view: options.view,
    traffic: options.traffic,
    processStats: options.processStats,
    queueDepth: options.queueDepth,
    now,
    startedAt,
    logToken: d.logToken,
    logCapacity: {
      records: d.logCapacity?.records ?? DEFAULT_LOG_CAPACITY.records,
      bytes: d.logCapacity?.bytes ?? DEFAULT_LOG_CAPACITY.bytes,
    },
    validateStatus: d.validateStatus ?? true,
    onError: options.onError,
  };
}
