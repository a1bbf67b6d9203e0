/**
 * The in-process agent: the host feeds it (view callback, traffic counts, liveness beats, logs) and it
 * answers the status protocol. Built for density: one small object per agent, with methods on the
 * prototype and every buffer, registry and sampler created on first use.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { BearerCheck } from './auth.js';
import type { AuthResult } from './auth.js';
import { handleRequest, listenWith, listenerFor } from './endpoint.js';
import type { EndpointHost, ListenHandle, ListenOptions } from './endpoint.js';
import { LogBuffer, createLogSink } from './log-buffer.js';
import type { LogPage, LogSink } from './log-buffer.js';
import { LEVEL_RANK, makeEntry } from './log-line.js';
import { LivenessRegistry } from './liveness.js';
import type { LivenessHandle, LivenessOptions } from './liveness.js';
import { createMetricsExporter } from './metrics.js';
import type { MetricsExporter } from './metrics.js';
import { resolveOptions } from './options.js';
import type { AgentOptions, ResolvedOptions } from './options.js';
import { createProcessSampler } from './process-stats.js';
import type { ProcessSampler } from './process-stats.js';
import { LOG_LIMITS, NodeIdSchema, STATUS_SCHEMA_VERSION } from './schema.js';
import type { LogLevel, LogsQuery, Status, Traffic } from './schema.js';

/**
 * A node agent. Contract: `status()` builds the document from the callbacks at call time (it throws what
 * they throw); `handle` serves one request whose path relative to the endpoint is `subPath`, returning
 * false (writing nothing) for paths that are not the agent's; `requestListener` additionally answers
 * 404 for those; `listen` starts a dedicated server (127.0.0.1 and a free port by default) that
 * `close()` also stops. After `close()` (idempotent) routes answer 503 agent_closed and log() is a no-op;
 * await a server's own `close()` to know its port is free.
 */
export interface Agent {
  readonly nodeId: string;
  readonly endpoint: string;
  readonly version: string;
  /** Epoch ms read from the clock at creation. */
  readonly startedAt: number;
  readonly closed: boolean;
  /** Changes the reported node ID (throws on a malformed ID). */
  setNodeId(nodeId: string): void;
  /** Adds to the agent's own traffic counters (non-negative integers; used when no `traffic` option). */
  countTraffic(delta: Partial<Traffic>): void;
  /** The liveness handle for a worker thread, created on first call (see LivenessHandle). */
  liveness(name: string, options: LivenessOptions): LivenessHandle;
  /** Appends a record to the log ring buffer (time = the agent's clock). */
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** Newline-delimited log destination for pino: `pino({}, agent.logStream)`. */
  readonly logStream: LogSink;
  status(): Status;
  handle(req: IncomingMessage, res: ServerResponse, subPath: string): boolean;
  readonly requestListener: RequestListener;
  listen(options?: ListenOptions): Promise<ListenHandle>;
  /** Stops answering (routes: 503), stops sampling and starts closing listen() servers (drops open connections). */
  close(): void;
}

const TRAFFIC_KEYS = ['bytesIn', 'bytesOut', 'packetsIn', 'packetsOut'] as const;

class NodeAgent implements Agent, EndpointHost {
  readonly #o: ResolvedOptions;
  #nodeId: string;
  readonly startedAt: number;
  readonly #counts: Traffic = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 };
  #threads: LivenessRegistry | undefined;
  #logs: LogBuffer | undefined;
  #sink: LogSink | undefined;
  #auth: BearerCheck | undefined;
  #metrics: MetricsExporter | undefined;
  #sampler: ProcessSampler | undefined;
  #listener: RequestListener | undefined;
  #servers: Set<ListenHandle> | undefined;
  #closed = false;

  constructor(options: ResolvedOptions) {
    this.#o = options;
    this.#nodeId = options.nodeId;
    this.startedAt = options.startedAt;
  }

  get nodeId(): string {
    return this.#nodeId;
  }
  get endpoint(): string {
    return this.#o.endpoint;
  }
  get version(): string {
    return this.#o.version;
  }
  get closed(): boolean {
    return this.#closed;
  }
  get validateStatus(): boolean {
    return this.#o.validateStatus;
  }

  setNodeId(nodeId: string): void {
    const parsed = NodeIdSchema.safeParse(nodeId);
    if (!parsed.success) throw new Error('setNodeId: node ID must be 40 lowercase hex characters');
    this.#nodeId = parsed.data;
  }

  countTraffic(delta: Partial<Traffic>): void {
    for (const key of TRAFFIC_KEYS) {
      const n = delta[key];
      if (n === undefined) continue;
      if (!Number.isSafeInteger(n) || n < 0)
        throw new Error(`countTraffic: ${key} must be a non-negative integer`);
    }
    for (const key of TRAFFIC_KEYS) this.#counts[key] += delta[key] ?? 0;
  }

  liveness(name: string, options: LivenessOptions): LivenessHandle {
    this.#threads ??= new LivenessRegistry(this.#o.now);
    return this.#threads.get(name, options);
  }

  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (this.closed) return;
    const lvl = Object.hasOwn(LEVEL_RANK, level) ? level : 'info';
    this.#buffer().append(makeEntry(this.#o.now(), lvl, String(msg), fields));
  }

  get logStream(): LogSink {
    return (this.#sink ??= createLogSink((e) => {
      if (!this.closed) this.#buffer().append(e);
    }, this.#o.now));
  }

  #buffer(): LogBuffer {
    return (this.#logs ??= new LogBuffer(this.#o.logCapacity));
  }

  status(): Status {
    const o = this.#o;
    const nowMs = o.now();
    const view = o.view();
    return {
      schema: STATUS_SCHEMA_VERSION,
      nodeId: this.#nodeId,
      endpoint: o.endpoint,
      version: o.version,
      startedAt: new Date(this.startedAt).toISOString(),
      now: new Date(nowMs).toISOString(),
      ring: { left: [...view.left], right: [...view.right] },
      connections: [...view.connections],
      traffic: o.traffic ? o.traffic() : { ...this.#counts },
      process: o.processStats ? o.processStats() : (this.#sampler ??= createProcessSampler()).read(),
      queue: { depth: o.queueDepth ? o.queueDepth() : 0 },
      threads: this.#threads ? this.#threads.list(nowMs) : [],
    };
  }

  handle(req: IncomingMessage, res: ServerResponse, subPath: string): boolean {
    return handleRequest(this, req, res, subPath);
  }

  get requestListener(): RequestListener {
    return (this.#listener ??= listenerFor(this));
  }

  async listen(options?: ListenOptions): Promise<ListenHandle> {
    if (this.closed) throw new Error('listen: agent is closed');
    const server = await listenWith(this.requestListener, options);
    const servers = (this.#servers ??= new Set());
    servers.add(server);
    return {
      port: server.port,
      close: () => {
        servers.delete(server);
        return server.close();
      },
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sampler?.close();
    for (const server of this.#servers ?? []) void server.close();
    this.#servers = undefined;
    this.#logs = undefined;
    this.#metrics = undefined;
  }

  // EndpointHost
  isClosed(): boolean {
    return this.closed;
  }
  snapshotStatus(): Status {
    return this.status();
  }
  authorizeLogs(authorization: string | undefined): AuthResult {
    return (this.#auth ??= new BearerCheck(this.#o.logToken)).check(authorization);
  }
  readLogs(query: LogsQuery): LogPage & { nodeId: string } {
    const page = this.#logs?.query(query, this.#o.now(), LOG_LIMITS.maxResponseBytes);
    return { nodeId: this.#nodeId, records: page?.records ?? [], truncated: page?.truncated ?? false };
  }
  metricsExporter(): MetricsExporter {
    return (this.#metrics ??= createMetricsExporter());
  }
  reportError(err: unknown): void {
    try {
      this.#o.onError?.(err);
    } catch {
      // A failing error hook must not break the answer.
    }
  }
}

/** Creates an agent; throws an Error naming the option when options are invalid. */
export function createAgent(options: AgentOptions): Agent {
  return new NodeAgent(resolveOptions(options));
}
