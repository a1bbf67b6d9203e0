/**
 * Bearer-token check for the log endpoint: compares SHA-256 digests with timingSafeEqual, so neither
 * the token's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Outcome of checking an Authorization header. */
export type AuthResult = 'ok' | 'missing' | 'invalid' | 'disabled';

/** Visible ASCII, as a bearer token on one header line must be. */
export const TOKEN_PATTERN = /^[\x21-\x7e]{1,1024}$/;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * A checker for one configured token (undefined = log endpoint disabled). The expected digest is
 * computed on first use, so agents whose logs are never read pay nothing.
 */
export class BearerCheck {
  readonly #token: string | undefined;
  #expected: Buffer | undefined;

  constructor(token: string | undefined) {
    this.#token = token;
  }

  check(header: string | undefined): AuthResult {
    if (this.#token === undefined) return 'disabled';
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
    if (!m?.[1]) return 'missing';
    this.#expected ??= digest(this.#token);
    return timingSafeEqual(digest(m[1]), this.#expected) ? 'ok' : 'invalid';
  }
}
