/** GET /audit (admin): who did what — logins, log pulls, crawl triggers, user and token changes. */
import { Router } from 'express';
import { z } from 'zod';
import type { Audit } from '../auth/audit.js';
import type { Auth } from '../auth/types.js';
import { handle, parseInput } from '../http/errors.js';

export function createAuditRouter(deps: { auth: Pick<Auth, 'require'>; audit: Pick<Audit, 'list'> }): Router {
  const r = Router();
  r.get(
    '/audit',
    deps.auth.require('admin'),
    handle(async (req, res) => {
      const q = parseInput(
        z.strictObject({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          cursor: z.coerce.number().int().min(1).optional(),
        }),
        req.query,
        'query',
      );
      const page = await deps.audit.list({ limit: q.limit, ...(q.cursor ? { before: q.cursor } : {}) });
      res.json({ items: page.items, nextCursor: page.nextBefore === null ? null : String(page.nextBefore) });
    }),
  );
  return r;
}
