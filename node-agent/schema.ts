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
  .refine((s) => /^https?:\/\//.test(s) && !s.endsWith('/'), 'endpoint must be an http(s) URL without trailing slash');

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

export const TrafficSchema = z.object({ bytesIn: Count, bytesOut: Count, packetsIn: Count, packetsOut: Count });
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
