/**
 * Endpoint normalisation: the one spelling of an agent's base URL the crawler uses as a dedupe key.
 *
 * Contract: normalizeEndpoint(s) is either undefined (not an http(s) URL we will visit) or a string
 * `${scheme}//${host}${path}` with lowercase scheme and host (WHATWG URL rules: IPv4 shorthand such as
 * `2130706433` becomes `127.0.0.1`, IPv6 is compressed and bracketed), the scheme's default port dropped,
 * no userinfo, no query, no fragment and no trailing slash. It is idempotent:
 * normalizeEndpoint(normalizeEndpoint(s)!) === normalizeEndpoint(s).
 */

/** Longest endpoint accepted (the status schema's own limit). */
export const MAX_ENDPOINT_LENGTH = 2048;

/** The canonical form of an endpoint, or undefined when it is not a visitable http(s) base URL. */
export function normalizeEndpoint(raw: string): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_ENDPOINT_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Credentials in a URL reported by another node are never sent anywhere.
  if (url.username !== '' || url.password !== '') return undefined;
  if (url.hostname === '') return undefined;
  const path = url.pathname.replace(/\/+$/, '');
  const out = `${url.protocol}//${url.host}${path}`;
  return out.length <= MAX_ENDPOINT_LENGTH ? out : undefined;
}

/** The status URL of a normalised endpoint. */
export function statusUrl(endpoint: string): URL {
  return new URL(`${endpoint}/v1/status`);
}
