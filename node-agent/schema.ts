/**
 * The node status protocol, schema version 1: the single definition shared by the agent (which serves it)
 * and the crawler (which validates what it receives). docs/protocol.md is the prose version of this file.
 *
 * Contract: every field here is required unless marked optional; unknown extra fields are ignored by
 * readers (forward compatibility), so a newer agent can add fields without breaking an older crawler.
 */
import { z } from 'zod';

/** 160-bit node ID as exactly 40 lowercase hex characters. */
export const NodeIdSchema = z.string().regex(/^[0-9a-f]{40}$/, 'node ID must be 40 lowercase hex characters');
export type NodeId = z.infer<typeof NodeIdSchema>;

/** Base URL of a node's agent; the status lives at `${endpoint}/v1/status`. No trailing slash. */
export const EndpointSchema = z
  .string()
  .max(2048)
  .url()
  .refine(
    (s) => /^https?:\/\//.test(s) && !s.endsWith('/'),
    'endpoint must be an http(s) URL without trailing slash',
  );

const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const NonNegative = z.number().nonnegative().finite();
const Rfc3339 = z.string().datetime({ offset: true });

export const NeighborSchema = z.object({ id: NodeIdSchema, endpoint: EndpointSchema });
export type Neighbor = z.infer<typeof NeighborSchema>;

export const ConnectionKindSchema = z.enum(['near', 'shortcut', 'relay', 'leaf']);
export type ConnectionKind = z.infer<typeof ConnectionKindSchema>;

export const ConnectionSchema = z.object({
  peerId: NodeIdSchema,
  endpoint: EndpointSchema,
  kind: ConnectionKindSchema,
  /** The relay node's ID, present exactly when the connection is relayed (kind "relay"). */
  via: NodeIdSchema.optional(),
  rttMs: NonNegative,
  ageSeconds: NonNegative,
  bytesIn: Count,
  bytesOut: Count,
});
export type Connection = z.infer<typeof ConnectionSchema>;

export const ThreadStateSchema = z.enum(['running', 'waiting', 'stalled']);
export type ThreadState = z.infer<typeof ThreadStateSchema>;

export const ThreadSchema = z.object({
  name: z.string().min(1).max(128),
  state: ThreadStateSchema,
  lastBeatAt: Rfc3339,
  deadlineMs: z.number().int().positive(),
});
export type ThreadStatus = z.infer<typeof ThreadSchema>;

export const TrafficSchema = z.object({
  bytesIn: Count,
  bytesOut: Count,
  packetsIn: Count,
  packetsOut: Count,
});
export type Traffic = z.infer<typeof TrafficSchema>;

export const ProcessStatsSchema = z.object({
  rssBytes: Count,
  heapUsedBytes: Count,
  cpuSeconds: NonNegative,
  eventLoopLagMs: NonNegative,
});
export type ProcessStats = z.infer<typeof ProcessStatsSchema>;

/** Caps that keep a hostile or broken node from making a reader allocate without bound. */
export const STATUS_LIMITS = { ringSide: 16, connections: 4096, threads: 256 } as const;

export const StatusSchema = z.object({
  schema: z.literal(1),
  nodeId: NodeIdSchema,
  endpoint: EndpointSchema,
  version: z.string().min(1).max(128),
  startedAt: Rfc3339,
  now: Rfc3339,
  ring: z.object({
    /** Predecessors, closest first: [L1, L2, ...]. */
    left: z.array(NeighborSchema).max(STATUS_LIMITS.ringSide),
    /** Successors, closest first: [R1, R2, ...]. */
    right: z.array(NeighborSchema).max(STATUS_LIMITS.ringSide),
  }),
  connections: z.array(ConnectionSchema).max(STATUS_LIMITS.connections),
  traffic: TrafficSchema,
  process: ProcessStatsSchema,
  queue: z.object({ depth: Count }),
  threads: z.array(ThreadSchema).max(STATUS_LIMITS.threads),
});
export type Status = z.infer<typeof StatusSchema>;

export const LogLevelSchema = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
export type LogLevel = z.infer<typeof LogLevelSchema>;

export const LogRecordSchema = z.object({
  time: Rfc3339,
  level: LogLevelSchema,
  msg: z.string(),
  /** Any further structured fields of the record (pino bindings and merge objects). */
  fields: z.record(z.string(), z.unknown()).optional(),
});
export type LogRecord = z.infer<typeof LogRecordSchema>;

export const LogsResponseSchema = z.object({
  nodeId: NodeIdSchema,
  records: z.array(LogRecordSchema),
  /** True when the caps (lines or bytes) cut older records off. */
  truncated: z.boolean(),
});
export type LogsResponse = z.infer<typeof LogsResponseSchema>;

export const STATUS_SCHEMA_VERSION = 1;

/** Bounds of GET /v1/logs: the largest `tail`, its default, and the most record bytes one answer carries. */
export const LOG_LIMITS = { defaultTail: 200, maxTail: 10_000, maxResponseBytes: 1_048_576 } as const;

const IntParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/**
 * Query of GET /v1/logs, parsed from the URL's string parameters. `tail`: newest N matching records;
 * `sinceSeconds`: only records at most that old; `level`: minimum level. Unknown parameters are ignored.
 */
export const LogsQuerySchema = z.object({
  tail: IntParam(1, LOG_LIMITS.maxTail).default(LOG_LIMITS.defaultTail),
  sinceSeconds: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,6})?$/, 'must be a non-negative number of seconds')
    .transform(Number)
    .optional(),
  level: LogLevelSchema.optional(),
});
export type LogsQuery = z.output<typeof LogsQuerySchema>;

/** Body of every non-2xx answer. `code` is a stable machine-readable word; `message` is for humans. */
export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string().min(1).max(64), message: z.string().max(4096) }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** The error codes agents send (readers must accept others: treat unknown codes by HTTP status). */
export const ERROR_CODES = [
  'not_found',
  'method_not_allowed',
  'unauthorized',
  'logs_disabled',
  'invalid_query',
  'state_unavailable',
  'state_invalid',
  'status_invalid',
  'agent_closed',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * A worker thread as a sidecar's state document reports it: the agent derives `state` at request time
 * (waiting if `waiting`, else stalled when now - lastBeatAt > deadlineMs, else running), so a state
 * document that stops being updated shows its threads stalled.
 */
export const StateThreadSchema = ThreadSchema.omit({ state: true }).extend({
  waiting: z.boolean().optional(),
});
export type StateThread = z.infer<typeof StateThreadSchema>;

/**
 * The sidecar's input: what a non-Node VPN writes to a file or prints from a command. It is the status
 * document minus what the sidecar fills in (schema, now, thread states); optional parts default to:
 * endpoint = the sidecar's configured/listening URL, startedAt = the sidecar's start, process = zeros
 * (unknown), queue depth 0, no threads. Unknown fields are ignored.
 */
export const NodeStateSchema = z.object({
  nodeId: NodeIdSchema,
  endpoint: EndpointSchema.optional(),
  version: StatusSchema.shape.version,
  startedAt: Rfc3339.optional(),
  ring: StatusSchema.shape.ring,
  connections: StatusSchema.shape.connections,
  traffic: TrafficSchema,
  process: ProcessStatsSchema.optional(),
  queue: StatusSchema.shape.queue.optional(),
  threads: z.array(StateThreadSchema).max(STATUS_LIMITS.threads).optional(),
});
export type NodeState = z.infer<typeof NodeStateSchema>;
