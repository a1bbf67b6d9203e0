/**
 * Operators, roles, sessions and API tokens: createAuth() implements the Auth contract of types.ts over
 * the tables of migrations/003_auth.sql. Stores (users, tokens, sessions), the login limiter and the
 * audit log are separate modules; this file wires them and does request authentication.
 */
import type { Request, RequestHandler, Response } from 'express';
import pino from 'pino';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { errorBody } from '../http/errors.js';
import type { Database } from '../store/db.js';
import { createAudit } from './audit.js';
import type { Audit } from './audit.js';
import type { AuthContext } from './context.js';
import { readSessionCookie, sessionSetCookie } from './cookies.js';
import type { CookieOptions } from './cookies.js';
import { createLoginLimiter } from './rate-limit.js';
import type { LoginLimitOptions } from './rate-limit.js';
import { createAuthRouter } from './routes.js';
import { generatePassword } from './secrets.js';
import { createSessionStore } from './sessions.js';
import { createTokenStore } from './tokens.js';
import { roleAtLeast } from './types.js';
import type { Auth, Credentials, Principal, Role } from './types.js';
import { createUserStore } from './users.js';

export { createAudit, actorOf } from './audit.js';
export type { Audit, AuditEntry, AuditInput } from './audit.js';
export { createUserStore, checkNewPassword, PASSWORD_MIN_LENGTH } from './users.js';
export type { User, UserStore, UserPatch, LoginFailure } from './users.js';
export { createTokenStore } from './tokens.js';
export type { TokenInfo, TokenStore, NewToken } from './tokens.js';
export { createSessionStore } from './sessions.js';
export type { SessionStore } from './sessions.js';
export { createLoginLimiter, DEFAULT_LOGIN_LIMIT } from './rate-limit.js';
export type { LoginLimiter, LoginLimitOptions } from './rate-limit.js';
export type { Auth, Credentials, Principal, Role } from './types.js';
export { ROLES, roleAtLeast, principalOf } from './types.js';

export interface AuthDeps {
  db: Database;
  clock: Clock;
  logger?: Logger;
  /** Where audit rows go; default createAudit(db, clock). */
  audit?: Audit;
}

export interface AuthOptions {
  /** Session lifetime since last use (sliding; default 12 h). */
  sessionTtlMs?: number;
  /** Default 'ringwatch_session'. */
  cookieName?: string;
  /** Mark the cookie Secure (set when served over https; default false). */
  secureCookies?: boolean;
  /** Failed-login limits (default 10 per address+name and 50 per address in 15 min). */
  loginRateLimit?: Partial<LoginLimitOptions>;
  /** bcrypt cost for new password hashes (default 10; tests use 4). */
  bcryptCost?: number;
}

export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60_000;
export const DEFAULT_COOKIE_NAME = 'ringwatch_session';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Build the auth module. Beyond the Auth contract: a session whose expiry slid gets its cookie re-sent
 * by middleware() and the auth routes; a Bearer Authorization header, when present, is the only
 * credential looked at (a bad token is not rescued by a cookie); ensureAdmin(), createToken() and
 * revokeToken() audit as actor 'system'. The router must be mounted before middleware() (see routes.ts).
 */
export async function createAuth(deps: AuthDeps, opts: AuthOptions = {}): Promise<Auth> {
  const { db, clock } = deps;
  const logger = deps.logger ?? pino({ enabled: false });
  const audit = deps.audit ?? createAudit(db, clock);
  const sessionTtlMs = opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const cookie: CookieOptions = {
    name: opts.cookieName ?? DEFAULT_COOKIE_NAME,
    secure: opts.secureCookies ?? false,
  };
  const users = createUserStore({
    db,
    clock,
    ...(opts.bcryptCost !== undefined ? { bcryptCost: opts.bcryptCost } : {}),
  });
  const tokens = createTokenStore({ db, clock });
  const sessions = createSessionStore({ db, clock, ttlMs: sessionTtlMs });
  const limiter = createLoginLimiter(clock, opts.loginRateLimit);
  await sessions.sweep();

  /** The principal of some credentials, plus the session id when its expiry slid. */
  async function resolve(creds: Credentials): Promise<{ principal: Principal; slidSession?: string } | null> {
    if (creds.authorization !== undefined && /^Bearer\s/i.test(creds.authorization)) {
      const m = BEARER.exec(creds.authorization);
      const principal = m ? await tokens.resolve(m[1]!) : null;
      return principal ? { principal } : null;
    }
    const id = readSessionCookie(creds.cookie, cookie);
    if (!id) return null;
    const s = await sessions.resolve(id);
    if (!s) return null;
    return s.slid ? { principal: s.principal, slidSession: id } : { principal: s.principal };
  }

  async function identify(req: Request, res: Response): Promise<Principal | null> {
    const r = await resolve({ authorization: req.headers.authorization, cookie: req.headers.cookie });
    if (!r) return null;
    if (r.slidSession) res.append('Set-Cookie', sessionSetCookie(r.slidSession, sessionTtlMs, cookie));
    res.locals.principal = r.principal;
    return r.principal;
  }

  const unauthenticated = (res: Response) => {
    res.setHeader('WWW-Authenticate', 'Bearer realm="ringwatch"');
    res.status(401).json(errorBody('unauthenticated', 'authentication required'));
  };

  function requireRole(role: Role): RequestHandler {
    return (_req, res, next) => {
      const p = res.locals.principal as Principal | undefined;
      if (!p) return unauthenticated(res);
      if (!roleAtLeast(p.role, role)) {
        res.status(403).json(errorBody('forbidden', `requires role ${role}`));
        return;
      }
      next();
    };
  }

  const ctx: AuthContext = {
    users,
    tokens,
    sessions,
    limiter,
    audit,
    logger,
    cookie,
    sessionTtlMs,
    identify,
    guard(role) {
      const check = requireRole(role);
      return (req, res, next) => {
        if (res.locals.principal) return check(req, res, next);
        identify(req, res).then(
          (p) => (p ? check(req, res, next) : unauthenticated(res)),
          (err: unknown) => next(err),
        );
      };
    },
  };

  return {
    async authenticate(creds) {
      return (await resolve(creds))?.principal ?? null;
    },
    middleware() {
      return (req, res, next) => {
        identify(req, res).then(
          (p) => (p ? next() : unauthenticated(res)),
          (err: unknown) => next(err),
        );
      };
    },
    require: requireRole,
    router: () => createAuthRouter(ctx),
    async ensureAdmin(password) {
      const generated = password === undefined ? generatePassword() : undefined;
      const user = await users.createFirst({
        username: 'admin',
        password: password ?? generated!,
        role: 'admin',
      });
      if (!user) return { created: false };
      await audit.record({
        actor: 'system',
        action: 'user.create',
        target: `user:${user.username}`,
        detail: { id: user.id, role: user.role, generatedPassword: generated !== undefined },
      });
      logger.info({ username: user.username }, 'created the first admin user');
      return generated !== undefined ? { created: true, generatedPassword: generated } : { created: true };
    },
    async createToken(input) {
      const { info, secret } = await tokens.create(input);
      await audit.record({
        actor: 'system',
        action: 'token.create',
        target: `token:${info.name}`,
        detail: {
          id: info.id,
          prefix: info.prefix,
          role: info.role,
          userId: info.userId,
          expiresAt: info.expiresAt,
        },
      });
      return { id: info.id, token: secret };
    },
    async revokeToken(id) {
      const token = await tokens.get(id);
      const revoked = await tokens.revoke(id);
      if (revoked && token)
        await audit.record({
          actor: 'system',
          action: 'token.revoke',
          target: `token:${token.name}`,
          detail: { id, prefix: token.prefix },
        });
      return revoked;
    },
  };
}
