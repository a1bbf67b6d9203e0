/**
 * The typed REST client of /api/v1. Every request sends the session cookie (same origin); an error
 * answer `{ error: { code, message } }` becomes a thrown ApiError with that code; a request that never
 * got an answer is ApiError('network'). A 401 on any call but login also tells `onUnauthenticated`
 * (the app shows the login page).
 */
import type {
  ApiErrorCode,
  CrawlRecord,
  CrawlStrategy,
  Me,
  Page,
  Summary,
  User,
  WireTopology,
} from './types.js';

/** The server's codes plus the client's own: no answer at all, or an answer that is not the API's. */
export type ClientErrorCode = ApiErrorCode | 'network' | 'bad_response';

export class ApiError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** HTTP status; 0 when there was no answer. */
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** true when `err` is an ApiError (with one of `codes`, if given). */
export function isApiError(err: unknown, ...codes: ClientErrorCode[]): err is ApiError {
  return err instanceof ApiError && (codes.length === 0 || codes.includes(err.code));
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** false: a 401 is only thrown, not reported to onUnauthenticated (login, the session probe). */
  reportUnauthenticated?: boolean;
}

/**
 * Contract: request() resolves the parsed JSON body of a 2xx answer (undefined for 204) or rejects
 * with ApiError; it never retries. Aborting `signal` rejects with the DOMException AbortError as fetch
 * does. The named methods are thin typed wrappers; add one per route as views need them.
 */
export interface Api {
  request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, opts?: RequestOptions): Promise<T>;
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
  me(): Promise<Me>;
  login(username: string, password: string): Promise<{ user: User }>;
  logout(): Promise<void>;
  summary(signal?: AbortSignal): Promise<Summary>;
  crawls(q?: { limit?: number; cursor?: string | null }, signal?: AbortSignal): Promise<Page<CrawlRecord>>;
  crawl(id: number, signal?: AbortSignal): Promise<CrawlRecord>;
  /** connections false: ring-slot edges only (L1 L2 R1 R2), much smaller for large rings. */
  topology(id: number, signal?: AbortSignal, opts?: { connections?: boolean }): Promise<WireTopology>;
  crawlNow(strategy?: CrawlStrategy): Promise<{ crawlId: number; state: 'running' }>;
}

export interface ApiDeps {
  /** Default '/api/v1'. */
  base?: string;
  fetch?: typeof fetch;
  /** Told of every 401 (except where the request opted out); the app routes to the login page. */
  onUnauthenticated?: () => void;
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== null && v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function errorOf(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return new ApiError(e.code as ApiErrorCode, e.message, status, e.details);
  }
  return new ApiError('bad_response', `unexpected answer (HTTP ${status})`, status);
}

export function createApi(deps: ApiDeps = {}): Api {
  const base = deps.base ?? '/api/v1';
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init));

  async function request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    opts: RequestOptions = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await doFetch(`${base}${path}${queryString(opts.query)}`, {
        method,
        headers,
        credentials: 'same-origin',
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if ((err as { name?: string }).name === 'AbortError') throw err;
      throw new ApiError('network', 'the server cannot be reached', 0);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) {
      const err = errorOf(res.status, body);
      if (res.status === 401 && opts.reportUnauthenticated !== false) deps.onUnauthenticated?.();
      throw err;
    }
    if (body === null) throw new ApiError('bad_response', 'the server answered without JSON', res.status);
    return body as T;
  }

  const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
    request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });

  return {
    request,
    get,
    me: () => request<Me>('GET', '/auth/me', { reportUnauthenticated: false }),
    login: (username, password) =>
      request<{ user: User }>('POST', '/auth/login', {
        body: { username, password },
        reportUnauthenticated: false,
      }),
    logout: () => request<void>('POST', '/auth/logout', { reportUnauthenticated: false }),
    summary: (signal) => get<Summary>('/summary', undefined, signal),
    crawls: (q = {}, signal) =>
      get<Page<CrawlRecord>>('/crawls', { limit: q.limit, cursor: q.cursor ?? undefined }, signal),
    crawl: (id, signal) => get<CrawlRecord>(`/crawls/${id}`, undefined, signal),
    topology: (id, signal, o) =>
      get<WireTopology>(
        `/crawls/${id}/topology`,
        o?.connections === false ? { connections: 'false' } : undefined,
        signal,
      ),
    crawlNow: (strategy) =>
      request<{ crawlId: number; state: 'running' }>('POST', '/crawls', {
        body: strategy ? { strategy } : {},
      }),
  };
}

/** A message fit for the UI: what failed, in words. */
export function describeError(err: unknown): string {
  if (isApiError(err, 'network')) return 'The server cannot be reached. Is Ringwatch running?';
  if (isApiError(err, 'unauthenticated')) return 'Your session ended. Please sign in again.';
  if (isApiError(err, 'forbidden')) return 'Your role does not allow this.';
  if (isApiError(err, 'unavailable')) return 'The server is not ready (starting or shutting down).';
  if (isApiError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}
