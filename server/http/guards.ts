/**
 * Request guards in front of the API: a per-client request budget (429 rate_limited) and a cross-site
 * request check for cookie sessions (CSRF defence in depth behind SameSite=Strict).
 */
import type { RequestHandler } from 'express';
import type { Clock } from '../core/clock.js';
import { errorBody } from './errors.js';
import type { Principal } from '../auth/types.js';

/**
 * Fixed one-minute windows per client key on the injected clock. Contract: at most `perMinute`
 * requests per key and window pass; the rest get 429 with Retry-After (seconds to the window's end).
 * Keys: the authenticated principal when there is one (so a token is limited wherever it comes
 * from), else the client address. Memory is bounded by the clients of one window.
 */
export function requestLimiter(deps: { clock: Clock; perMinute: number }): RequestHandler {
  let windowStart = 0;
  let counts = new Map<string, number>();
  return (req, res, next) => {
    if (deps.perMinute <= 0) {
      next();
      return;
    }
    const now = deps.clock.now();
    if (now - windowStart >= 60_000) {
      windowStart = now - (now % 60_000);
      counts = new Map();
    }
    const p = res.locals.principal as Principal | undefined;
    const key = p ? `${p.kind}:${p.id}` : `ip:${req.ip ?? 'unknown'}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n > deps.perMinute) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil((windowStart + 60_000 - now) / 1000))));
      res.status(429).json(errorBody('rate_limited', 'too many requests; slow down'));
      return;
    }
    next();
  };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests that a browser sent cross-site. Requests carrying a Bearer token are
 * scripts, not browsers riding a cookie, and pass. Others must come from this origin: an Origin header
 * equal to the request's own origin, or (when a browser sends no Origin) Sec-Fetch-Site same-origin.
 */
export function sameOriginForCookies(): RequestHandler {
  return (req, res, next) => {
    if (SAFE.has(req.method) || /^Bearer /i.test(req.headers.authorization ?? '')) {
      next();
      return;
    }
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    const own = `${req.protocol}://${req.headers.host ?? ''}`;
    const ok = origin !== undefined ? origin === own : site === undefined || site === 'same-origin';
    if (!ok) {
      res.status(403).json(errorBody('forbidden', 'cross-site request refused'));
      return;
    }
    next();
  };
}
