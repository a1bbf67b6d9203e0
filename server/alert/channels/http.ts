/**
 * The HTTP side of the webhook, Slack and Alertmanager channels: one undici Agent per channel (so a
 * hanging receiver cannot use up connections others need), a hard timeout on every request, and the
 * mapping of every outcome to a ChannelError. Error messages name the receiver by origin only: a URL's
 * path or query may be a secret (a Slack webhook URL is one).
 */
import { Agent, request } from 'undici';
import { ChannelError } from '../types.js';

/** Statuses worth retrying besides 5xx: request timeout and rate limiting. */
const RETRYABLE_4XX = new Set([408, 429]);
/** How much of an error answer goes into the recorded reason. */
const SNIPPET_CHARS = 200;

/** Contract: post() resolves on a 2xx answer and rejects with ChannelError otherwise, within timeoutMs. */
export interface JsonPoster {
  post(url: string, body: unknown, headers?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** `https://hooks.example.com` of a URL: safe to log (never path, query or credentials). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

function codeChain(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const o = e as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof o.code === 'string') out.push(o.code);
    if (typeof o.name === 'string') out.push(o.name);
    e = o.cause;
  }
  return out;
}

/** Maps whatever undici or the socket threw into a ChannelError (all transport failures are retryable). */
export function transportError(err: unknown, where: string, timeoutMs: number): ChannelError {
  if (err instanceof ChannelError) return err;
  const codes = codeChain(err);
  const timedOut = codes.some((c) =>
    [
      'TimeoutError',
      'AbortError',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'UND_ERR_CONNECT_TIMEOUT',
      'ETIMEDOUT',
    ].includes(c),
  );
  if (timedOut) return new ChannelError('timeout', `${where} did not answer within ${timeoutMs} ms`, true);
  if (codes.includes('ECONNREFUSED'))
    return new ChannelError('refused', `${where} refused the connection`, true);
  const msg = err instanceof Error ? err.message : String(err);
  return new ChannelError('other', `${where}: ${msg}`, true);
}

/** Error of a non-2xx answer: 5xx, 408 and 429 are retryable, any other status is final. */
export function statusError(status: number, body: string, where: string): ChannelError {
  const retryable = status >= 500 || RETRYABLE_4XX.has(status);
  const snippet = body.replace(/\s+/g, ' ').trim().slice(0, SNIPPET_CHARS);
  return new ChannelError(
    'http_status',
    `${where} answered HTTP ${status}${snippet ? `: ${snippet}` : ''}`,
    retryable,
  );
}

/** Credentials in a URL (`https://user:pass@host/`) become a Basic Authorization header (undici drops them). */
function splitCredentials(url: string): { target: string; auth: Record<string, string> } {
  if (!URL.canParse(url)) return { target: url, auth: {} };
  const u = new URL(url);
  if (!u.username && !u.password) return { target: url, auth: {} };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString(
    'base64',
  );
  u.username = '';
  u.password = '';
  return { target: u.toString(), auth: { authorization: `Basic ${basic}` } };
}

export function createJsonPoster(timeoutMs: number): JsonPoster {
  const agent = new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: 4,
  });
  return {
    async post(url, body, headers = {}) {
      const where = originOf(url);
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      const { target, auth } = splitCredentials(url);
      try {
        const res = await request(target, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'user-agent': 'Ringwatch', ...auth, ...headers },
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.body.text();
        if (res.statusCode < 200 || res.statusCode >= 300) throw statusError(res.statusCode, text, where);
      } catch (err) {
        throw transportError(err, where, timeoutMs);
      }
    },
    async close() {
      await agent.destroy();
    },
  };
}
