/**
 * The auth HTTP routes, relative to /api/v1: login, logout and "who am I" here, plus the admin-only user
 * and token management of admin-routes.ts. Authentication is done per route (login must stay reachable
 * without credentials), so this router can be mounted before Auth.middleware().
 */
import { Router } from 'express';
import { z } from 'zod';
import { ApiError, parseInput } from '../http/errors.js';
import { actorOf } from './audit.js';
import { registerAdminRoutes } from './admin-routes.js';
import type { AuthContext } from './context.js';
import { clearSetCookie, readSessionCookie, sessionSetCookie } from './cookies.js';

const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export function createAuthRouter(ctx: AuthContext): Router {
  const router = Router();

  router.post('/auth/login', async (req, res) => {
    const { username, password } = parseInput(loginBody, req.body ?? {}, 'body');
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const gate = ctx.limiter.check(ip, username);
    if (!gate.allowed) {
      ctx.logger.warn({ ip, username }, 'login rate-limited');
      res.setHeader('Retry-After', String(Math.ceil(gate.retryAfterMs / 1000)));
      throw new ApiError('rate_limited', 'too many failed logins; try again later');
    }
    const result = await ctx.users.verify(username, password);
    if (!result.ok) {
      ctx.limiter.fail(ip, username);
      ctx.logger.info({ ip, username, reason: result.reason }, 'login failed');
      await ctx.audit.record({
        actor: 'anonymous',
        action: 'login.failure',
        target: `user:${username}`,
        detail: { ip, reason: result.reason },
      });
      throw new ApiError('unauthenticated', 'invalid user name or password');
    }
    ctx.limiter.succeed(ip, username);
    const { user } = result;
    const previous = readSessionCookie(req.headers.cookie, ctx.cookie);
    if (previous) await ctx.sessions.remove(previous);
    await ctx.sessions.sweep();
    const session = await ctx.sessions.create(user.id);
    res.setHeader('Set-Cookie', sessionSetCookie(session.id, ctx.sessionTtlMs, ctx.cookie));
    await ctx.audit.record({
      actor: `user:${user.username}`,
      action: 'login.success',
      target: `user:${user.username}`,
      detail: { ip },
    });
    res.json({ user });
  });

  router.post('/auth/logout', async (req, res) => {
    const id = readSessionCookie(req.headers.cookie, ctx.cookie);
    if (id) {
      const live = await ctx.sessions.resolve(id);
      if (await ctx.sessions.remove(id)) {
        const actor = live ? actorOf(live.principal) : 'anonymous';
        await ctx.audit.record({ actor, action: 'logout', target: live ? actor : null });
      }
    }
    res.setHeader('Set-Cookie', clearSetCookie(ctx.cookie));
    res.status(204).end();
  });

  router.get('/auth/me', async (req, res) => {
    const principal = await ctx.identify(req, res);
    if (!principal) throw new ApiError('unauthenticated', 'not signed in');
    const user =
      principal.userId === null
        ? null
        : await ctx.users.get(principal.userId).catch((err: unknown) => {
            if (err instanceof ApiError && err.code === 'not_found') return null;
            throw err;
          });
    res.json({ principal, user });
  });

  registerAdminRoutes(router, ctx);
  return router;
}
