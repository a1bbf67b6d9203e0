/**
 * Hash routing: the URL carries the whole view state (`#/ring?crawl=12&node=<id>`), so any screen can
 * be shared as a link and the back button works. Pure functions over strings; the app listens to
 * `hashchange` and calls them.
 */

export interface Route {
  /** Path without leading/trailing slashes, e.g. 'ring', 'nodes/ab12…'; '' for the root. */
  path: string;
  query: Record<string, string>;
}

/** '#/ring?crawl=12&node=ab' → { path: 'ring', query: { crawl: '12', node: 'ab' } }. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const pathPart = q < 0 ? raw : raw.slice(0, q);
  const query: Record<string, string> = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(raw.slice(q + 1))) query[k] = v;
  const path = pathPart
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .map((s) => encodeURIComponent(s))
    .join('/');
  return { path, query };
}

/** The inverse of parseHash: ('ring', { crawl: '12' }) → '#/ring?crawl=12' (empty values dropped). */
export function formatHash(
  path: string,
  query: Record<string, string | number | null | undefined> = {},
): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== null && v !== undefined && v !== '') p.set(k, String(v));
  const qs = p.toString();
  return `#/${path.replace(/^\/+|\/+$/g, '')}${qs ? `?${qs}` : ''}`;
}

/** A route path for a node page: node keys may be endpoint URLs, so they are encoded. */
export const nodeHash = (key: string) => `#/nodes/${encodeURIComponent(key)}`;

/**
 * Match a path against a pattern with `:name` segments: ('nodes/:id', 'nodes/ab') → { id: 'ab' }
 * (decoded), or null.
 */
export function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/').filter(Boolean);
  const ss = path.split('/').filter(Boolean);
  if (ps.length !== ss.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const s = ss[i]!;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(s);
      } catch {
        return null;
      }
    } else if (p !== s) return null;
  }
  return params;
}

/** The same route with some query keys set (null removes one). */
export function withQuery(route: Route, patch: Record<string, string | number | null | undefined>): string {
  const q: Record<string, string | number | null | undefined> = { ...route.query };
  for (const [k, v] of Object.entries(patch)) q[k] = v;
  return formatHash(route.path, q);
}
