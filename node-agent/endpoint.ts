/**
 * The HTTP side of an agent: routing of /v1/status, /metrics and /v1/logs relative to the agent's
 * endpoint, shared by the in-process agent and the sidecar through the EndpointHost interface.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AuthResult } from './auth.js';
import type { LogPage } from './log-buffer.js';
import type { MetricsExporter } from './metrics.js';
import { StateUnavailableError, sendError, sendJson, sendText } from './respond.js';
import { LogsQuerySchema, StatusSchema } from './schema.js';
import type { LogsQuery, Status } from './schema.js';

/**
 * What the routes need from an agent. Contract: `snapshotStatus` returns the current document or throws
 * StateUnavailableError (answered 503 with its code); `prepare`, when present, runs before status and
 * metrics (the sidecar refreshes its state there); `readLogs` is only called after `authorizeLogs`
 * returned "ok"; `reportError` receives unexpected errors (answered 500).
 */
export interface EndpointHost {
  isClosed(): boolean;
  readonly validateStatus: boolean;
  prepare?(): Promise<void>;
  snapshotStatus(): Status;
  authorizeLogs(authorization: string | undefined): AuthResult;
  readLogs(query: LogsQuery): (LogPage & { nodeId: string }) | Promise<LogPage & { nodeId: string }>;
  metricsExporter(): MetricsExporter;
  reportError(err: unknown): void;
}

type Route = (
  host: EndpointHost,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
) => Promise<void>;

const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/v1/status', serveStatus],
  ['/metrics', serveMetrics],
  ['/v1/logs', serveLogs],
]);

/** First few zod issues as one line, e.g. "connections.0.rttMs: Too small: expected number to be >=0". */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

function validSnapshot(host: EndpointHost): Status {
  const status = host.snapshotStatus();
  if (!host.validateStatus) return status;
  const parsed = StatusSchema.safeParse(status);
  if (!parsed.success) throw new StateUnavailableError('status_invalid', describeIssues(parsed.error.issues));
  return status;
}

async function serveStatus(host: EndpointHost, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (host.prepare) await host.prepare();
  sendJson(res, 200, validSnapshot(host));
}

async function serveMetrics(host: EndpointHost, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (host.prepare) await host.prepare();
  const status = validSnapshot(host);
  const exporter = host.metricsExporter();
  sendText(res, 200, exporter.contentType, await exporter.render(status));
}

const UNAUTHORIZED: Record<Exclude<AuthResult, 'ok' | 'disabled'>, Record<string, string>> = {
  missing: { 'www-authenticate': 'Bearer realm="ringwatch"' },
  invalid: { 'www-authenticate': 'Bearer realm="ringwatch", error="invalid_token"' },
};

async function serveLogs(
  host: EndpointHost,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  const auth = host.authorizeLogs(req.headers.authorization);
  if (auth === 'disabled') {
    sendError(res, 403, 'logs_disabled', 'the log endpoint is disabled on this node (no token configured)');
    return;
  }
  if (auth !== 'ok') {
    sendError(res, 401, 'unauthorized', 'a valid bearer token is required', UNAUTHORIZED[auth]);
    return;
  }
  const raw: Record<string, string> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    if (values.length > 1) {
      sendError(res, 400, 'invalid_query', `${key}: given more than once`);
      return;
    }
    raw[key] = values[0] ?? '';
  }
  const parsed = LogsQuerySchema.safeParse(raw);
  if (!parsed.success) {
    sendError(res, 400, 'invalid_query', describeIssues(parsed.error.issues));
    return;
  }
  const page = await host.readLogs(parsed.data);
  const body = `{"nodeId":${JSON.stringify(page.nodeId)},"records":[${page.records.join(',')}],"truncated":${page.truncated}}`;
  sendJson(res, 200, body);
}

function answerFailure(host: EndpointHost, res: ServerResponse, err: unknown): void {
  if (err instanceof StateUnavailableError) {
    sendError(res, 503, err.code, err.message);
    return;
  }
  host.reportError(err);
  sendError(res, 500, 'internal_error', 'internal error');
}

/**
 * Serves one request whose path relative to the agent's endpoint is `subPath` (a query string on it is
 * used; without one, req.url's query is). Returns false, writing nothing, when the path is not one of
 * the agent's routes; true when the agent answers (possibly after this call returns).
 */
export function handleRequest(
  host: EndpointHost,
  req: IncomingMessage,
  res: ServerResponse,
  subPath: string,
): boolean {
  const q = subPath.indexOf('?');
  const path = q < 0 ? subPath : subPath.slice(0, q);
  const route = ROUTES.get(path);
  if (route === undefined) return false;
  req.resume();
  if (req.method !== 'GET') {
    sendError(res, 405, 'method_not_allowed', `${req.method ?? '?'} is not allowed on ${path}`, {
      allow: 'GET',
    });
    return true;
  }
  if (host.isClosed()) {
    sendError(res, 503, 'agent_closed', 'this agent has been closed');
    return true;
  }
  const search = q >= 0 ? subPath.slice(q + 1) : ((req.url ?? '').split('?')[1] ?? '');
  route(host, req, res, new URLSearchParams(search)).catch((err: unknown) => answerFailure(host, res, err));
  return true;
}

/** A request listener answering 404 (JSON error) for paths the host does not serve. */
export function listenerFor(host: EndpointHost): RequestListener {
  return (req, res) => {
    if (!handleRequest(host, req, res, req.url ?? '/')) {
      req.resume();
      sendError(res, 404, 'not_found', 'no such route; see /v1/status, /metrics, /v1/logs');
    }
  };
}

/** Where `listen` binds: port 0 (default) picks a free port; host defaults to 127.0.0.1. */
export interface ListenOptions {
  port?: number;
  host?: string;
}

/** A running server; `close()` stops it, dropping open connections, and is idempotent. */
export interface ListenHandle {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts a plain node:http server for `listener`. */
export function listenWith(listener: RequestListener, options: ListenOptions = {}): Promise<ListenHandle> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new Error('listen: port must be an integer from 0 to 65535'));
  }
  const server = createServer(listener);
  return new Promise<ListenHandle>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      let closing: Promise<void> | undefined;
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : port,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          })),
      });
    });
  });
}
