/**
 * The status fetcher: one visit of one endpoint (GET `${endpoint}/v1/status`) turned into a Visit record,
 * with every way a remote node can fail or misbehave classified and bounded.
 */
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { Visit, VisitErrorKind } from '../core/model.js';
import { StatusSchema } from '../../node-agent/schema.js';
import type { Status } from '../../node-agent/schema.js';
import { DEFAULT_ALLOWED_NETWORKS, createAllowList } from './allow-list.js';
import type { AllowFn } from './allow-list.js';
import { TRANSIENT_ERRORS, boundDetail, classifyError } from './classify.js';
import { normalizeEndpoint, statusUrl } from './endpoint.js';

export const FETCHER_DEFAULTS = {
  timeoutMs: 3000,
  maxBytes: 1_048_576,
  retries: 2,
  backoffBaseMs: 100,
  userAgent: 'ringwatch-crawler/1',
} as const;

/** Tuning of a status fetcher; every field is optional (see FETCHER_DEFAULTS). */
export interface StatusFetcherOptions {
  /** Budget of one attempt: connect + headers + whole body (ms). */
  timeoutMs?: number;
  /** Largest accepted body (bytes); bigger answers are cut off and classified too_large. */
  maxBytes?: number;
  /** Extra attempts after a transient failure (timeout, reset); 0 disables retrying. */
  retries?: number;
  /** Backoff before retry n (1-based) is uniform in [b/2, b] with b = backoffBaseMs · 2^(n-1). */
  backoffBaseMs?: number;
  /** Consulted before any connection; default createAllowList(DEFAULT_ALLOWED_NETWORKS) (loopback). */
  allow?: AllowFn;
  userAgent?: string;
}

export interface StatusFetcherDeps {
  clock: Clock;
  /** Uniform [0, 1) source for backoff jitter; default Math.random. */
  random?: () => number;
}

/** One visit's inputs. `expectedId`: the ID the node should answer with (id_mismatch otherwise). */
export interface FetchOptions {
  expectedId?: string;
  /** Aborting ends the visit early (classified timeout, detail "aborted by the caller"). */
  signal?: AbortSignal;
}

/**
 * Visits endpoints. Contract: fetch never throws and never rejects; it returns a Visit whose endpoint
 * is the normalised endpoint (or the raw input when it does not parse), whose durationMs spans all
 * attempts and backoffs on the injected clock, and whose attempts counts connections tried (0 when
 * not_allowed). Each attempt uses its own connection, closed after the answer (no keep-alive pool),
 * so at most one socket per concurrent fetch is open. close() (idempotent) destroys open connections;
 * fetches after close fail with error "protocol".
 */
export interface StatusFetcher {
  fetch(endpoint: string, options?: FetchOptions): Promise<Visit>;
  close(): Promise<void>;
}

type Outcome =
  | { ok: true; status: Status }
  | { ok: false; error: VisitErrorKind; detail: string; httpStatus?: number; status?: Status };

const fail = (error: VisitErrorKind, detail: string, extra: { httpStatus?: number } = {}): Outcome => ({
  ok: false,
  error,
  detail: boundDetail(detail),
  ...extra,
});

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** application/json, text/json and application/<anything>+json, parameters ignored. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = (value.split(';')[0] ?? '').trim().toLowerCase();
  return type === 'application/json' || type === 'text/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/**
 * Deepest JSON nesting accepted. A status is 4 levels deep; JSON.parse of a body nested 400,000 levels
 * deep (800 KB, under the size cap) blocks the event loop for about a second, long enough to time out
 * every other visit in flight, so such bodies are refused before parsing.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `text` nests arrays and objects deeper than `max` (brackets inside strings ignored); O(n). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character; a quote ends the string.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Checks a 200 answer's body text and turns it into the outcome. */
function judgeBody(text: string, expectedId: string | undefined): Outcome {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return fail('schema', `(root): JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('bad_json', 'body is not valid JSON'); // JSON.parse messages quote the body: never echoed
  }
  const parsed = StatusSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    const count = parsed.error.issues.length;
    return fail(
      'schema',
      `${path}: ${issue?.message ?? 'invalid'}${count > 1 ? ` (+${count - 1} more)` : ''}`,
    );
  }
  const status = parsed.data;
  if (expectedId !== undefined && status.nodeId !== expectedId) {
    return { ...fail('id_mismatch', `answered as ${status.nodeId}, expected ${expectedId}`), status };
  }
  return { ok: true, status };
}

async function readResponse(
  res: Dispatcher.ResponseData,
  maxBytes: number,
  expectedId: string | undefined,
): Promise<Outcome> {
  const code = res.statusCode;
  if (code >= 300 && code < 400)
    return fail('redirect', `HTTP ${code} redirect (not followed)`, { httpStatus: code });
  if (code !== 200) return fail('http_status', `HTTP ${code}`, { httpStatus: code });
  const type = header(res.headers, 'content-type');
  if (!isJsonContentType(type)) {
    const shown = type !== undefined && /^[\w.+/-]{1,64}/.exec(type.trim());
    return fail(
      'bad_json',
      `content type ${shown ? shown[0] : type === undefined ? 'missing' : 'unreadable'} is not JSON`,
    );
  }
  const length = header(res.headers, 'content-length');
  if (length !== undefined && /^\d+$/.test(length.trim()) && Number(length) > maxBytes) {
    return fail('too_large', `Content-Length ${length.trim().slice(0, 20)} exceeds the ${maxBytes}-byte cap`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) return fail('too_large', `body exceeds the ${maxBytes}-byte cap`);
    chunks.push(buf);
  }
  const bytes = Buffer.concat(chunks, size);
  if (!isUtf8(bytes)) return fail('bad_json', 'body is not valid UTF-8');
  const text = bytes.toString('utf8');
  return judgeBody(text, expectedId);
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min)
    throw new Error(`createStatusFetcher: ${name} must be a number ≥ ${min}`);
  return v;
}

/** The fetcher's numeric limits with defaults applied; throws on an invalid value (shared with the crawl thread). */
export function fetcherLimits(options: StatusFetcherOptions): {
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  backoffBaseMs: number;
} {
  return {
    timeoutMs: positive('timeoutMs', options.timeoutMs, FETCHER_DEFAULTS.timeoutMs),
    maxBytes: Math.floor(positive('maxBytes', options.maxBytes, FETCHER_DEFAULTS.maxBytes)),
    retries: Math.floor(positive('retries', options.retries, FETCHER_DEFAULTS.retries, 0)),
    backoffBaseMs: positive('backoffBaseMs', options.backoffBaseMs, FETCHER_DEFAULTS.backoffBaseMs, 0),
  };
}

/** Creates a fetcher owning a dedicated undici Agent (close() it when done). Throws on invalid options. */
export function createStatusFetcher(options: StatusFetcherOptions, deps: StatusFetcherDeps): StatusFetcher {
  const { timeoutMs, maxBytes, retries, backoffBaseMs } = fetcherLimits(options);
  const allow = options.allow ?? createAllowList(DEFAULT_ALLOWED_NETWORKS);
  const userAgent = options.userAgent ?? FETCHER_DEFAULTS.userAgent;
  const { clock } = deps;
  const random = deps.random ?? Math.random;
  // undici's own timers are a backstop only; the budget is enforced on the injected clock.
  const backstop = timeoutMs + 1000;
  const agent = new Agent({
    connections: 1, // one Client per origin, dropped by the Agent when its connection closes
    pipelining: 1,
    keepAliveTimeout: 1,
    connect: { timeout: backstop },
    headersTimeout: backstop,
    bodyTimeout: backstop,
    maxResponseSize: maxBytes,
  });
  let closed = false;

  async function attempt(url: URL, expectedId: string | undefined, signal?: AbortSignal): Promise<Outcome> {
    const ac = new AbortController();
    let timedOut = false;
    const timer = clock.setTimeout(() => {
      timedOut = true;
      ac.abort(new Error('visit timed out'));
    }, timeoutMs);
    const onAbort = (): void => ac.abort(new Error('aborted by the caller'));
    signal?.addEventListener('abort', onAbort, { once: true });
    let body: Dispatcher.ResponseData['body'] | undefined;
    try {
      if (signal?.aborted) throw new Error('aborted');
      const res = await agent.request({
        origin: url.origin,
        path: url.pathname,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': userAgent },
        reset: true, // sends Connection: close; the socket is not reused
        signal: ac.signal,
      });
      body = res.body;
      body.on('error', () => undefined); // errors surface through the read loop; destroy() must not throw
      return await readResponse(res, maxBytes, expectedId);
    } catch (err) {
      if (timedOut) return fail('timeout', `no complete answer within ${timeoutMs} ms`);
      if (signal?.aborted) return fail('timeout', 'aborted by the caller before an answer');
      const c = classifyError(err);
      return fail(c.error, c.detail);
    } finally {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (body && !body.destroyed) body.destroy(); // stops reading; the connection is then dropped
    }
  }

  function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = clock.setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  async function fetchStatus(raw: string, fo: FetchOptions = {}): Promise<Visit> {
    const startedAt = clock.now();
    const endpoint = normalizeEndpoint(raw);
    const base = { endpoint: endpoint ?? boundDetail(String(raw)), startedAt };
    const idPart = fo.expectedId !== undefined ? { expectedId: fo.expectedId } : {};
    const finish = (outcome: Outcome, attempts: number): Visit => ({
      ...base,
      ...idPart,
      durationMs: Math.max(0, clock.now() - startedAt),
      attempts,
      ...outcome,
    });
    if (endpoint === undefined) return finish(fail('not_allowed', 'not a valid http(s) endpoint URL'), 0);
    const url = statusUrl(endpoint);
    let allowed = false;
    try {
      allowed = allow(url);
    } catch {
      allowed = false;
    }
    if (!allowed) return finish(fail('not_allowed', `host ${url.hostname} is outside the allow-list`), 0);
    if (closed) return finish(fail('protocol', 'fetcher is closed'), 0);
    let attempts = 0;
    for (;;) {
      attempts++;
      const outcome = await attempt(url, fo.expectedId, fo.signal);
      if (outcome.ok || !TRANSIENT_ERRORS.has(outcome.error) || attempts > retries || fo.signal?.aborted) {
        return finish(outcome, attempts);
      }
      const b = backoffBaseMs * 2 ** (attempts - 1);
      await sleep(b / 2 + random() * (b / 2), fo.signal);
      if (closed) return finish(outcome, attempts);
    }
  }

  return {
    fetch: (endpoint, fo) =>
      fetchStatus(endpoint, fo).catch((err: unknown) => {
        // Defensive: a bug above must still yield a Visit, never a rejection.
        const c = classifyError(err);
        return {
          endpoint: boundDetail(String(endpoint)),
          startedAt: clock.now(),
          durationMs: 0,
          attempts: 1,
          ok: false as const,
          error: c.error,
          detail: c.detail,
        };
      }),
    async close() {
      if (closed) return;
      closed = true;
      await agent.destroy();
    },
  };
}
