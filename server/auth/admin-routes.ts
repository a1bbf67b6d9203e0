/**
 * Admin-only management routes: GET/POST /users, PATCH/DELETE /users/:id, GET/POST /tokens,
 * DELETE /tokens/:id. Every change is audited with the acting principal; secrets never reach the audit
 * log or a response, except a new token's secret once in the POST /tokens answer.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { ApiError, parseInput } from '../http/errors.js';
import { actorOf } from './audit.js';
import type { AuthContext } from './context.js';
import { readSessionCookie } from './cookies.js';
import { decodeCursor, encodeCursor, pageQuery } from './paging.js';
import { sha256Hex } from './secrets.js';
import { principalOf, ROLES } from './types.js';
import { PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from './users.js';

const idParams = z.strictObject({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

const newUserBody = z.strictObject({
  username: z.string().regex(USERNAME_PATTERN, 'letters, digits or . _ @ -, at most 64'),
  password: z.string().min(PASSWORD_MIN_LENGTH).max(1024),
  role: z.enum(ROLES),
});

const userPatchBody = z
  .strictObject({
    role: z.enum(ROLES).optional(),
    disabled: z.boolean().optional(),
    password: z.string().min(PASSWORD_MIN_LENGTH).max(1024).optional(),
  })
  .refine((b) => b.role !== undefined || b.disabled !== undefined || b.password !== undefined, {
    message: 'nothing to change: give role, disabled or password',
  });

const newTokenBody = z.strictObject({
  name: z.string().min(1).max(128),
  role: z.enum(ROLES),
  userId: z.number().int().positive().nullable().optional(),
  expiresAt: z.number().int().positive().nullable().optional(),
});

export function registerAdminRoutes(router: Router, ctx: AuthContext): void {
  const admin = ctx.guard('admin');

  router.get('/users', admin, async (req, res) => {
    const q = parseInput(pageQuery, req.query, 'query');
    const page = await ctx.users.list({ limit: q.limit, afterId: decodeCursor(q.cursor) });
    res.json({ items: page.items, nextCursor: encodeCursor(page.nextAfter) });
  });

  router.post('/users', admin, async (req, res) => {
    const body = parseInput(newUserBody, req.body ?? {}, 'body');
    const user = await ctx.users.create(body);
    await ctx.audit.record({
      actor: actorOf(principalOf(res)),
      action: 'user.create',
      target: `user:${user.username}`,
      detail: { id: user.id, role: user.role },
    });
    res.status(201).json({ user });
  });

  router.patch('/users/:id', admin, async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const patch = parseInput(userPatchBody, req.body ?? {}, 'body');
    const principal = principalOf(res);
    const own = principal.kind === 'session' ? readSessionCookie(req.headers.cookie, ctx.cookie) : undefined;
    const user = await ctx.users.update(id, patch, own ? { keepSessionHash: sha256Hex(own) } : {});
    await ctx.audit.record({
      actor: actorOf(principal),
      action: 'user.update',
      target: `user:${user.username}`,
      detail: {
        id,
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        ...(patch.password !== undefined ? { passwordChanged: true } : {}),
      },
    });
    res.json({ user });
  });

  router.delete('/users/:id', admin, async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const user = await ctx.users.remove(id);
    await ctx.audit.record({
      actor: actorOf(principalOf(res)),
      action: 'user.delete',
      target: `user:${user.username}`,
      detail: { id },
    });
    res.status(204).end();
  });

  router.get('/tokens', admin, async (req, res) => {
    const q = parseInput(pageQuery, req.query, 'query');
    const page = await ctx.tokens.list({ limit: q.limit, afterId: decodeCursor(q.cursor) });
    res.json({ items: page.items, nextCursor: encodeCursor(page.nextAfter) });
  });

  router.post('/tokens', admin, async (req, res) => {
    const body = parseInput(newTokenBody, req.body ?? {}, 'body');
    const { info, secret } = await ctx.tokens.create(body);
    await ctx.audit.record({
      actor: actorOf(principalOf(res)),
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
    res.status(201).json({ token: info, secret });
  });

  router.delete('/tokens/:id', admin, async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const token = await ctx.tokens.get(id);
    if (!token) throw new ApiError('not_found', `no token ${id}`);
    if (await ctx.tokens.revoke(id)) {
      await ctx.audit.record({
        actor: actorOf(principalOf(res)),
        action: 'token.revoke',
        target: `token:${token.name}`,
        detail: { id, prefix: token.prefix },
      });
    }
    res.status(204).end();
  });
}
