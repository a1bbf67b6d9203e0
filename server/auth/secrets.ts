/**
 * Random secrets and their stored form. Tokens and session ids are 32 random bytes (256 bits), so a plain
 * SHA-256 of them is a safe stored form (no salt or slow hash needed); passwords use bcrypt (users.ts).
 */
import { createHash, randomBytes } from 'node:crypto';

/** Every API token starts with this, so leaked tokens are easy to recognise (and to grep for). */
export const TOKEN_PREFIX = 'rw_';
/** Characters of a token kept in clear (`prefix` column) to tell tokens apart in lists. */
export const TOKEN_PREFIX_LENGTH = 10;

const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** `bytes` random bytes as base64url (no padding). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Lowercase hex SHA-256 of a UTF-8 string: the stored form of tokens and session ids. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A new API token secret: `rw_` + 32 random bytes base64url. */
export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomSecret(32);
}

/** True when `s` has the exact shape newTokenSecret() produces (checked before touching the database). */
export function isTokenShaped(s: string): boolean {
  return s.startsWith(TOKEN_PREFIX) && B64URL_32.test(s.slice(TOKEN_PREFIX.length));
}

/** A new session id: 32 random bytes base64url. */
export function newSessionId(): string {
  return randomSecret(32);
}

/** True when `s` has the shape of a session id. */
export function isSessionIdShaped(s: string): boolean {
  return B64URL_32.test(s);
}

/** A generated password: 24 base64url characters (18 random bytes, 144 bits). */
export function generatePassword(): string {
  return randomSecret(18);
}
