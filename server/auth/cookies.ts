/** The session cookie: httpOnly, SameSite=Strict, Path=/, Secure when configured (`cookie` package). */
import { parseCookie, stringifySetCookie } from 'cookie';

export interface CookieOptions {
  name: string;
  secure: boolean;
}

/** The session id from a Cookie header, or undefined. */
export function readSessionCookie(header: string | undefined, opts: CookieOptions): string | undefined {
  if (!header) return undefined;
  const value = parseCookie(header)[opts.name];
  return value ? value : undefined;
}

/** Set-Cookie value carrying session `id`, living `maxAgeMs` (rounded down to whole seconds). */
export function sessionSetCookie(id: string, maxAgeMs: number, opts: CookieOptions): string {
  return stringifySetCookie({
    name: opts.name,
    value: id,
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: opts.secure,
    maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)),
  });
}

/** Set-Cookie value that makes the browser drop the session cookie. */
export function clearSetCookie(opts: CookieOptions): string {
  return stringifySetCookie({
    name: opts.name,
    value: '',
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: opts.secure,
    maxAge: 0,
    expires: new Date(0),
  });
}
