/** What the auth routers share with createAuth: the stores, the limiter, and request identification. */
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Audit } from './audit.js';
import type { CookieOptions } from './cookies.js';
import type { LoginLimiter } from './rate-limit.js';
import type { SessionStore } from './sessions.js';
import type { TokenStore } from './tokens.js';
import type { Principal, Role } from './types.js';
import type { UserStore } from './users.js';

/**
 * Contract: identify() authenticates a request like Auth.authenticate(), refreshes the cookie of a
 * session whose expiry slid, and stores the principal in res.locals.principal (null: nothing stored).
 * guard(role) reuses res.locals.principal when set, else identifies; then 401/403 like Auth.require().
 */
export interface AuthContext {
  users: UserStore;
  tokens: TokenStore;
  sessions: SessionStore;
  limiter: LoginLimiter;
  audit: Audit;
  logger: Logger;
  cookie: CookieOptions;
  sessionTtlMs: number;
  identify(req: Request, res: Response): Promise<Principal | null>;
  guard(role: Role): RequestHandler;
}
