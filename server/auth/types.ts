/**
 * Who may do what. Roles are ordered: admin ⊃ operator ⊃ viewer. A Principal is whoever a request
 * authenticated as: a browser session (user) or an API token. The auth module implements Auth; the
 * API, the live stream and the CLI only use this interface.
 */
import type { RequestHandler, Router } from 'express';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** true when `have` is at least `need`. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export interface Principal {
  kind: 'session' | 'token';
  /** Users: the user's id; tokens: the token's id. */
  id: number;
  /** User name, or the token's name. */
  name: string;
  role: Role;
  /** The user behind the session or token (tokens may belong to no user: null). */
  userId: number | null;
}

/** Just the request parts authentication reads (headers as Node gives them). */
export interface Credentials {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

/**
 * Contract:
 *  - authenticate() resolves a Bearer API token (Authorization header) or a session cookie to a
 *    Principal, or null when there are none or they are invalid, expired or revoked. It never throws
 *    for bad credentials; it updates last-used times.
 *  - middleware() sets `res.locals.principal` and answers 401 `{error:{code:'unauthenticated'}}` when
 *    authenticate() gives null. require(role) answers 403 `forbidden` when the principal's role is
 *    weaker (and 401 if none). Both are used for every /api/v1 route but the auth routes below.
 *  - router() serves, relative to its mount point (/api/v1):
 *      POST /auth/login {username,password} → sets the httpOnly SameSite=Strict session cookie, 200 {user};
 *        rate-limited per client address and per user name (429 rate_limited);
 *      POST /auth/logout; GET /auth/me (401 without credentials);
 *      admin only: GET/POST /users, PATCH/DELETE /users/:id, GET/POST /tokens, DELETE /tokens/:id.
 *    Secrets (passwords, tokens) are never returned except a new token once at creation, never logged,
 *    and stored only hashed.
 *  - ensureAdmin() creates user `admin` when no user exists, with the given password or a generated
 *    one (returned once so the caller prints it).
 */
export interface Auth {
  authenticate(creds: Credentials): Promise<Principal | null>;
  middleware(): RequestHandler;
  require(role: Role): RequestHandler;
  router(): Router;
  ensureAdmin(password?: string): Promise<{ created: boolean; generatedPassword?: string }>;
  createToken(input: {
    name: string;
    role: Role;
    userId?: number | null;
    expiresAt?: number | null;
  }): Promise<{
    id: number;
    token: string;
  }>;
  revokeToken(id: number): Promise<boolean>;
}

/** The principal set by Auth.middleware(); throws if the middleware did not run (a wiring bug). */
export function principalOf(res: { locals: Record<string, unknown> }): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new Error('principalOf: auth middleware did not run');
  return p;
}
