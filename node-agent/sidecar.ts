/**
 * Standalone agent for a VPN that is not a Node process: serves the status protocol from a state
 * document the VPN writes to a file or prints from a command, plus the tail of its log file.
 */
import { z } from 'zod';
import { BearerCheck, TOKEN_PATTERN } from './auth.js';
import type { AuthResult } from './auth.js';
import { describeIssues, listenWith, listenerFor } from './endpoint.js';
import type { EndpointHost, ListenHandle } from './endpoint.js';
import { FileTail } from './file-tail.js';
import { DEFAULT_LOG_CAPACITY, LogBuffer } from './log-buffer.js';
import type { LogPage } from './log-buffer.js';
import { entryFromLine } from './log-line.js';
import { threadState } from './liveness.js';
import { createMetricsExporter } from './metrics.js';
import type { MetricsExporter } from './metrics.js';
import { LogCapacitySchema } from './options.js';
import { StateUnavailableError } from './respond.js';
import { EndpointSchema, LOG_LIMITS, STATUS_SCHEMA_VERSION } from './schema.js';
import type { LogsQuery, NodeState, Status } from './schema.js';
import { commandStateSource, fileStateSource } from './sidecar-state.js';
import type { StateResult, StateSource } from './sidecar-state.js';

/**
 * Options of runSidecar (the CLI's `ringwatch agent`). Exactly one of `stateFile` / `stateCommand`.
 * Contract: the state document (NodeStateSchema, see docs/protocol.md) is read on each status or
 * metrics request: a file when it changed, a command at most every `refreshMs`.
 */
export interface SidecarOptions {
  /** JSON state document, re-read when its mtime, size or inode changes (write it atomically). */
  stateFile?: string;
  /** Shell command printing the state document on stdout; non-zero exit or timeout = unavailable. */
  stateCommand?: string;
  /** Listening port; default 0 (a free port, reported by the handle). */
  port?: number;
  /** Listening address; default 127.0.0.1. */
  host?: string;
  /** Bearer token for GET /v1/logs; without it (or without logFile) that route answers 403. */
  token?: string;
  /** Log file whose newest lines (pino JSON or plain text) the log route serves. */
  logFile?: string;
  /** Public base URL reported when the state document has no `endpoint`; default http://host:port. */
  endpoint?: string;
  /** Cache lifetime of a command's result in ms; default 2000. */
  refreshMs?: number;
  /** Time limit of one command run in ms; default 5000. */
  commandTimeoutMs?: number;
  /** Log ring-buffer bounds; defaults 1000 records / 262,144 bytes. */
  logCapacity?: { records?: number; bytes?: number };
  /** Clock, epoch ms; default Date.now. */
  now?: () => number;
  /** Receives unexpected errors raised while answering (which are answered 500). */
  onError?: (err: unknown) => void;
}

/** A running sidecar; `close()` stops the server and any running state command (idempotent). */
export interface SidecarHandle {
  readonly port: number;
  /** The base URL reported when the state document carries none. */
  readonly endpoint: string;
  close(): Promise<void>;
}

const SidecarOptionsSchema = z
  .strictObject({
    stateFile: z.string().min(1).optional(),
    stateCommand: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    host: z.string().min(1).optional(),
    token: z.string().regex(TOKEN_PATTERN, 'must be 1..1024 visible ASCII characters').optional(),
    logFile: z.string().min(1).optional(),
    endpoint: EndpointSchema.optional(),
    refreshMs: z.number().int().min(0).max(3_600_000).optional(),
    commandTimeoutMs: z.number().int().min(1).max(600_000).optional(),
    logCapacity: LogCapacitySchema,
    now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
    onError: z
      .custom<(err: unknown) => void>((v) => typeof v === 'function', 'must be a function')
      .optional(),
  })
  .refine((o) => (o.stateFile === undefined) !== (o.stateCommand === undefined), {
    message: 'exactly one of stateFile and stateCommand is required',
  });

const NO_PROCESS = { rssBytes: 0, heapUsedBytes: 0, cpuSeconds: 0, eventLoopLagMs: 0 } as const;

/** Builds the status document from a state document; `selfEndpoint`/`startedAt` fill the gaps. */
export function statusFromState(
  state: NodeState,
  nowMs: number,
  selfEndpoint: string,
  startedAt: string,
): Status {
  return {
    schema: STATUS_SCHEMA_VERSION,
    nodeId: state.nodeId,
    endpoint: state.endpoint ?? selfEndpoint,
    version: state.version,
    startedAt: state.startedAt ?? startedAt,
    now: new Date(nowMs).toISOString(),
    ring: state.ring,
    connections: state.connections,
    traffic: state.traffic,
    process: state.process ?? { ...NO_PROCESS },
    queue: state.queue ?? { depth: 0 },
    threads: (state.threads ?? []).map((t) => ({
      name: t.name,
      state: threadState(t.waiting === true, Date.parse(t.lastBeatAt), t.deadlineMs, nowMs),
      lastBeatAt: t.lastBeatAt,
      deadlineMs: t.deadlineMs,
    })),
  };
}

class SidecarHost implements EndpointHost {
  readonly validateStatus = true;
  readonly #source: StateSource;
  readonly #now: () => number;
  readonly #startedAt: string;
  readonly #auth: BearerCheck;
  readonly #logs: LogBuffer | undefined;
  readonly #tail: FileTail | undefined;
  readonly #onError: ((err: unknown) => void) | undefined;
  #latest: StateResult = { ok: false, code: 'state_unavailable', message: 'state not read yet' };
  #nodeId: string | undefined;
  #metrics: MetricsExporter | undefined;
  selfEndpoint = 'http://127.0.0.1';
  closed = false;

  constructor(o: z.output<typeof SidecarOptionsSchema>) {
    this.#now = o.now ?? Date.now;
    this.#startedAt = new Date(this.#now()).toISOString();
    this.#onError = o.onError;
    const timing = { timeoutMs: o.commandTimeoutMs ?? 5000, refreshMs: o.refreshMs ?? 2000, now: this.#now };
    this.#source = o.stateFile
      ? fileStateSource(o.stateFile)
      : commandStateSource(o.stateCommand ?? '', timing);
    this.#auth = new BearerCheck(o.logFile === undefined ? undefined : o.token);
    if (o.logFile !== undefined) {
      const logs = new LogBuffer({
        records: o.logCapacity?.records ?? DEFAULT_LOG_CAPACITY.records,
        bytes: o.logCapacity?.bytes ?? DEFAULT_LOG_CAPACITY.bytes,
      });
      this.#logs = logs;
      this.#tail = new FileTail(o.logFile, o.logCapacity?.bytes ?? DEFAULT_LOG_CAPACITY.bytes, (line) =>
        logs.append(entryFromLine(line, this.#now())),
      );
    }
  }

  isClosed(): boolean {
    return this.closed;
  }
  async prepare(): Promise<void> {
    const result = await this.#source.read();
    this.#latest = result;
    if (result.ok) this.#nodeId = result.state.nodeId;
  }
  snapshotStatus(): Status {
    const latest = this.#latest;
    if (!latest.ok) throw new StateUnavailableError(latest.code, latest.message);
    return statusFromState(latest.state, this.#now(), this.selfEndpoint, this.#startedAt);
  }
  authorizeLogs(authorization: string | undefined): AuthResult {
    return this.#auth.check(authorization);
  }
  async readLogs(query: LogsQuery): Promise<LogPage & { nodeId: string }> {
    if (this.#nodeId === undefined) await this.prepare();
    const nodeId = this.#nodeId;
    if (nodeId === undefined) {
      const why = this.#latest.ok ? '' : `: ${this.#latest.message}`;
      throw new StateUnavailableError('state_unavailable', `node ID not known yet${why}`);
    }
    await this.#tail?.sync();
    const page = this.#logs?.query(query, this.#now(), LOG_LIMITS.maxResponseBytes);
    return { nodeId, records: page?.records ?? [], truncated: page?.truncated ?? false };
  }
  metricsExporter(): MetricsExporter {
    return (this.#metrics ??= createMetricsExporter());
  }
  reportError(err: unknown): void {
    try {
      this.#onError?.(err);
    } catch {
      // A failing error hook must not break the answer.
    }
  }
  closeSource(): void {
    this.#source.close();
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a sidecar; rejects with an Error naming the option when options are invalid. */
export async function runSidecar(options: SidecarOptions): Promise<SidecarHandle> {
  const parsed = SidecarOptionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`runSidecar: invalid option ${describeIssues(parsed.error.issues)}`);
  const o = parsed.data;
  const host = new SidecarHost(o);
  const bind = o.host ?? '127.0.0.1';
  let server: ListenHandle;
  try {
    server = await listenWith(listenerFor(host), { port: o.port ?? 0, host: bind });
  } catch (err) {
    host.closeSource();
    throw err;
  }
  host.selfEndpoint = o.endpoint ?? `http://${urlHost(bind)}:${server.port}`;
  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    endpoint: host.selfEndpoint,
    close: () => {
      if (!closing) {
        host.closed = true;
        host.closeSource();
        closing = server.close();
      }
      return closing;
    },
  };
}
