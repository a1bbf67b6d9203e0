/**
 * The API's one error shape, `{ error: { code, message, details? } }`, and the closed vocabulary of codes.
 * Handlers throw ApiError (or let zod errors through `parse*` below); errorHandler turns anything thrown
 * into that shape. Messages are safe to show: never a stack, a SQL text or a secret.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';

export const API_ERROR_CODES = [
  'bad_request', // validation failed; details lists the fields
  'unauthenticated', // 401: no or invalid credentials
  'forbidden', // 403: role too weak
  'not_found',
  'conflict',
  'crawl_running', // 409: POST /crawls while a crawl runs
  'payload_too_large',
  'rate_limited', // 429
  'node_unreachable', // 502: log pull could not reach the node's agent
  'agent_auth_failed', // 502: the agent refused our log token
  'agent_error', // 502: the agent answered something unusable
  'log_too_large', // 502: the agent's log answer exceeded the cap
  'unavailable', // 503: shutting down, or a dependency is not ready
  'internal', // 500: a bug; details are logged, not returned
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const STATUS_OF: Readonly<Record<ApiErrorCode, number>> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  crawl_running: 409,
  payload_too_large: 413,
  rate_limited: 429,
  node_unreachable: 502,
  agent_auth_failed: 502,
  agent_error: 502,
  log_too_large: 502,
  unavailable: 503,
  internal: 500,
};

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = STATUS_OF[code];
  }
}

export function errorBody(code: ApiErrorCode, message: string, details?: unknown): ApiErrorBody {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) } };
}

/** zod issues as `[{ path: 'a.b', message }]`, the `details` of a bad_request. */
export function issuesOf(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Parse with a zod schema or throw ApiError('bad_request') naming the fields (`where`: query, body…). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError('bad_request', `invalid ${where}`, issuesOf(r.error));
  return r.data;
}

/** Wrap an async handler so rejections reach errorHandler (Express 5 does this too; kept explicit). */
export function handle(fn: (...args: Parameters<RequestHandler>) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    fn(req, res, next).catch(next);
  };
}

/** 404 in the API's shape for unmatched API paths. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `no route ${req.method} ${req.path}`));
};

/**
 * Last middleware. Known errors keep their code; body-parser errors map to bad_request /
 * payload_too_large; anything else is `internal` and reported through `log`.
 */
export function errorHandler(
  log: (err: unknown, req: { method: string; url: string }) => void,
): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof ApiError) {
      res.status(err.status).json(errorBody(err.code, err.message, err.details));
      return;
    }
    const e = err as { type?: string; status?: number; code?: string };
    if (e.type === 'entity.too.large') {
      res.status(413).json(errorBody('payload_too_large', 'request body too large'));
      return;
    }
    if (e.type === 'entity.parse.failed' || e.type === 'encoding.unsupported' || e.status === 400) {
      res.status(400).json(errorBody('bad_request', 'malformed request body'));
      return;
    }
    if (e.code === 'crawl_running') {
      res.status(409).json(errorBody('crawl_running', 'a crawl is already running'));
      return;
    }
    log(err, req);
    res.status(500).json(errorBody('internal', 'internal error'));
  };
}
