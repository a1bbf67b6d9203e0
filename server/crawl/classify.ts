/**
 * Error classification: maps whatever undici or the socket layer threw into the closed VisitErrorKind
 * vocabulary, with a short detail built from fixed phrases and the error code only (never from messages
 * or bodies a remote peer could influence).
 */
import type { VisitErrorKind } from '../core/model.js';

/** Longest `detail` a visit carries. */
export const MAX_DETAIL_LENGTH = 200;

/**
 * Errors worth another attempt: the node may answer next time. A refused port means nothing listens
 * (a dead node) and stays refused; HTTP, content and schema errors are the node's real answer.
 */
export const TRANSIENT_ERRORS: ReadonlySet<VisitErrorKind> = new Set<VisitErrorKind>(['timeout', 'reset']);

/** A classified failure. */
export interface Classified {
  error: VisitErrorKind;
  detail: string;
}

const BY_CODE: Readonly<Record<string, [VisitErrorKind, string]>> = {
  ECONNREFUSED: ['refused', 'connection refused'],
  ECONNRESET: ['reset', 'connection reset by peer'],
  EPIPE: ['reset', 'connection closed while sending'],
  ECONNABORTED: ['reset', 'connection aborted'],
  UND_ERR_SOCKET: ['reset', 'connection closed before a complete answer'],
  UND_ERR_CLOSED: ['reset', 'connection closed before a complete answer'],
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: ['reset', 'body shorter than its Content-Length'],
  ETIMEDOUT: ['timeout', 'connection timed out'],
  UND_ERR_CONNECT_TIMEOUT: ['timeout', 'connect timed out'],
  UND_ERR_HEADERS_TIMEOUT: ['timeout', 'headers timed out'],
  UND_ERR_BODY_TIMEOUT: ['timeout', 'body timed out'],
  EHOSTUNREACH: ['unreachable', 'host unreachable'],
  ENETUNREACH: ['unreachable', 'network unreachable'],
  EHOSTDOWN: ['unreachable', 'host down'],
  ENETDOWN: ['unreachable', 'network down'],
  EADDRNOTAVAIL: ['unreachable', 'address not available'],
  ENOTFOUND: ['unreachable', 'host name not found'],
  EAI_AGAIN: ['unreachable', 'host name lookup failed'],
  EAI_NONAME: ['unreachable', 'host name not found'],
  UND_ERR_RES_EXCEEDED_MAX_SIZE: ['too_large', 'body over the size cap'],
  UND_ERR_HEADERS_OVERFLOW: ['protocol', 'response headers too large'],
  UND_ERR_INFO: ['protocol', 'unexpected informational answer'],
  EPROTO: ['tls', 'TLS protocol error'],
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_)|CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** The `code` strings on an error and its `cause` chain, outermost first. */
function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** The `name`s on an error and its `cause` chain (undici's parser errors carry no code). */
function namesOf(err: unknown): string[] {
  const names: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    names.push(e.name);
    e = e.cause;
  }
  return names;
}

/** Classifies a transport-level failure (the request never produced a usable answer). */
export function classifyError(err: unknown): Classified {
  const codes = codesOf(err);
  for (const code of codes) {
    const known = BY_CODE[code];
    if (known) return { error: known[0], detail: `${known[1]} (${code})` };
    if (TLS_CODE.test(code)) return { error: 'tls', detail: `TLS failure (${code})` };
    if (code.startsWith('HPE_')) return { error: 'protocol', detail: `malformed HTTP answer (${code})` };
  }
  if (namesOf(err).includes('HTTPParserError')) return { error: 'protocol', detail: 'malformed HTTP answer' };
  const first = codes[0];
  return { error: 'protocol', detail: first ? `transport error (${first})` : 'transport error' };
}

/** Makes any text safe to store and show: printable, one line, at most MAX_DETAIL_LENGTH characters. */
export function boundDetail(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  return clean.length <= MAX_DETAIL_LENGTH ? clean : `${clean.slice(0, MAX_DETAIL_LENGTH - 1)}…`;
}
