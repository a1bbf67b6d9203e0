/**
 * On-demand log pull: fetch a node's recent logs from its agent (GET `${endpoint}/v1/logs` with the
 * agent bearer token), store the answer whole in `log_pulls`, and hand it back. Every failure mode of the
 * remote side is one closed error kind, and a failed pull stores nothing.
 */
import { request } from 'undici';
import { z } from 'zod';
import { LogLevelSchema, LogsResponseSchema, LOG_LIMITS } from '../../node-agent/schema.js';
import type { LogRecord } from '../../node-agent/schema.js';
import type { Clock } from '../core/clock.js';
import type { AllowFn } from '../crawl/index.js';
import type { Database } from '../store/index.js';

/** Why a pull failed (closed). */
export const LOG_PULL_ERRORS = [
  'unknown_node', // the store has no node by that key
  'no_endpoint', // the node was never reached, so its agent's address is unknown
  'not_allowed', // its endpoint is outside the crawl allow-list
  'no_token', // the server has no agent log token configured
  'unreachable', // connect failed, timed out or reset
  'agent_auth', // the agent answered 401/403 (or logs are disabled there)
  'too_large', // the answer exceeded maxBytes
  'bad_answer', // not JSON, wrong shape, other HTTP status, or the wrong node answered
] as const;
export type LogPullErrorKind = (typeof LOG_PULL_ERRORS)[number];

export class LogPullError extends Error {
  constructor(
    readonly kind: LogPullErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'LogPullError';
  }
}

export const LogPullParamsSchema = z.strictObject({
  tail: z.number().int().min(1).max(LOG_LIMITS.maxTail).default(LOG_LIMITS.defaultTail),
  sinceSeconds: z.number().min(0).max(1e9).optional(),
  level: LogLevelSchema.optional(),
});
export type LogPullParams = z.output<typeof LogPullParamsSchema>;

/** A stored pull; `records` only on get() and pull(), not in lists. */
export interface LogPull {
  id: number;
  nodeKey: string;
  endpoint: string;
  requestedBy: string;
  requestedAt: number;
  params: LogPullParams;
  lines: number;
  bytes: number;
  truncated: boolean;
  records?: LogRecord[];
}

export interface LogPullerDeps {
  db: Database;
  clock: Clock;
  /** The node's endpoint and node ID by key, or null when unknown. */
  locate(key: string): Promise<{ endpoint: string | null; nodeId: string | null } | null>;
  /** The bearer token agents accept (read per pull, so configuration changes apply). */
  token(): string | undefined;
  allow: AllowFn;
}

export interface LogPullerOptions {
  timeoutMs?: number;
  /** Largest accepted answer, bytes (default 1 MiB + envelope). */
  maxBytes?: number;
  /** Pulls kept per node; older ones are deleted when a new one is stored (default 50). */
  keepPerNode?: number;
}

/**
 * Contract: pull() either stores one complete row and resolves it, or rejects with LogPullError and
 * stores nothing. list() pages newest first. The token is sent only to the node's recorded endpoint,
 * and only if that endpoint is allowed.
 */
export interface LogPuller {
  pull(nodeKey: string, params: LogPullParams, actor: string): Promise<LogPull>;
  list(nodeKey: string, page: { limit: number; before?: number }): Promise<LogPull[]>;
  get(id: number): Promise<LogPull | null>;
}

interface Row {
  id: number;
  node_key: string;
  endpoint: string;
  requested_by: string;
  requested_at: number;
  params: string;
  lines: number;
  bytes: number;
  truncated: number;
  content?: string;
}

function fromRow(r: Row): LogPull {
  return {
    id: r.id,
    nodeKey: r.node_key,
    endpoint: r.endpoint,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    params: JSON.parse(r.params) as LogPullParams,
    lines: r.lines,
    bytes: r.bytes,
    truncated: r.truncated === 1,
    ...(r.content !== undefined ? { records: JSON.parse(r.content) as LogRecord[] } : {}),
  };
}

async function readCapped(body: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function createLogPuller(deps: LogPullerDeps, opts: LogPullerOptions = {}): LogPuller {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? LOG_LIMITS.maxResponseBytes + 64 * 1024;
  const keep = opts.keepPerNode ?? 50;

  async function fetchLogs(endpoint: string, nodeId: string | null, p: LogPullParams, token: string) {
    const url = new URL(`${endpoint}/v1/logs`);
    url.searchParams.set('tail', String(p.tail));
    if (p.sinceSeconds !== undefined) url.searchParams.set('sinceSeconds', String(p.sinceSeconds));
    if (p.level) url.searchParams.set('level', p.level);
    if (!deps.allow(url)) throw new LogPullError('not_allowed', `endpoint ${endpoint} is not allowed`);
    let res: Awaited<ReturnType<typeof request>>;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      res = await request(url, {
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal,
      });
    } catch (err) {
      throw new LogPullError('unreachable', `agent at ${endpoint} unreachable: ${(err as Error).message}`);
    }
    try {
      if (res.statusCode === 401 || res.statusCode === 403) {
        throw new LogPullError(
          'agent_auth',
          `agent at ${endpoint} refused the log token (${res.statusCode})`,
        );
      }
      if (res.statusCode !== 200) {
        throw new LogPullError('bad_answer', `agent at ${endpoint} answered HTTP ${res.statusCode}`);
      }
      let buf: Buffer | null;
      try {
        buf = await readCapped(res.body, maxBytes);
      } catch (err) {
        throw new LogPullError('unreachable', `agent at ${endpoint} broke off: ${(err as Error).message}`);
      }
      if (!buf) throw new LogPullError('too_large', `agent at ${endpoint} sent more than ${maxBytes} bytes`);
      let json: unknown;
      try {
        json = JSON.parse(buf.toString('utf8'));
      } catch {
        throw new LogPullError('bad_answer', `agent at ${endpoint} sent invalid JSON`);
      }
      const parsed = LogsResponseSchema.safeParse(json);
      if (!parsed.success)
        throw new LogPullError('bad_answer', `agent at ${endpoint} sent an invalid log answer`);
      if (nodeId && parsed.data.nodeId !== nodeId) {
        throw new LogPullError(
          'bad_answer',
          `agent at ${endpoint} answered as ${parsed.data.nodeId}, not ${nodeId}`,
        );
      }
      return { data: parsed.data, bytes: buf.length };
    } finally {
      // An unread or partly read body is discarded; its abort error is expected, not a failure.
      res.body.on('error', () => {});
      res.body.destroy();
    }
  }

  return {
    async pull(nodeKey, params, actor) {
      const node = await deps.locate(nodeKey);
      if (!node) throw new LogPullError('unknown_node', `no node ${nodeKey}`);
      if (!node.endpoint) throw new LogPullError('no_endpoint', `node ${nodeKey} has no known endpoint`);
      const token = deps.token();
      if (!token) throw new LogPullError('no_token', 'no agent log token is configured (agents.logToken)');
      const { data, bytes } = await fetchLogs(node.endpoint, node.nodeId, params, token);
      const at = deps.clock.now();
      const id = await deps.db.transaction(async () => {
        const r = await deps.db.run(
          `INSERT INTO log_pulls (node_key, endpoint, requested_by, requested_at, params, lines, bytes, truncated, content)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            nodeKey,
            node.endpoint,
            actor,
            at,
            JSON.stringify(params),
            data.records.length,
            bytes,
            data.truncated ? 1 : 0,
            JSON.stringify(data.records),
          ],
        );
        await deps.db.run(
          `DELETE FROM log_pulls WHERE node_key = ? AND id NOT IN
             (SELECT id FROM log_pulls WHERE node_key = ? ORDER BY id DESC LIMIT ?)`,
          [nodeKey, nodeKey, keep],
        );
        return r.lastID;
      });
      return {
        id,
        nodeKey,
        endpoint: node.endpoint,
        requestedBy: actor,
        requestedAt: at,
        params,
        lines: data.records.length,
        bytes,
        truncated: data.truncated,
        records: data.records,
      };
    },
    async list(nodeKey, page) {
      const rows = await deps.db.all<Row>(
        `SELECT id, node_key, endpoint, requested_by, requested_at, params, lines, bytes, truncated
           FROM log_pulls WHERE node_key = ? AND id < ? ORDER BY id DESC LIMIT ?`,
        [nodeKey, page.before ?? Number.MAX_SAFE_INTEGER, page.limit],
      );
      return rows.map(fromRow);
    },
    async get(id) {
      const r = await deps.db.get<Row>('SELECT * FROM log_pulls WHERE id = ?', [id]);
      return r ? fromRow(r) : null;
    },
  };
}
