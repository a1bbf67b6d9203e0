/**
 * Findings and detector signals: GET /findings (open by default; ?status=open|all, kind, node) and
 * GET /signals (active by default; ?status=active|all for history, kind, node, sinceMs). Both newest
 * first, paged by id (`cursor` is the last id of the previous page). Viewer role.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Auth } from '../auth/types.js';
import { FINDING_KINDS } from '../core/model.js';
import { SIGNAL_KINDS } from '../detect/types.js';
import { handle, parseInput } from '../http/errors.js';
import type { Store } from '../store/index.js';
import { parseNodeKey } from './nodes.js';

export interface FindingsRouterDeps {
  auth: Pick<Auth, 'require'>;
  store: Pick<Store, 'listFindings' | 'signalHistory'>;
}

const Limit = z.coerce.number().int().min(1).max(1000).default(100);
const Cursor = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'not a cursor of this list')
  .transform(Number)
  .optional();
const Node = z.string().min(1).max(2048).optional();

const FindingsQuery = z.strictObject({
  status: z.enum(['open', 'all']).default('open'),
  kind: z.enum(FINDING_KINDS).optional(),
  node: Node,
  limit: Limit,
  cursor: Cursor,
});

const SignalsQuery = z.strictObject({
  status: z.enum(['active', 'all']).default('active'),
  kind: z.enum(SIGNAL_KINDS).optional(),
  node: Node,
  sinceMs: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: Limit,
  cursor: Cursor,
});

/** One page from a query that returns up to `limit + 1` items newest first by id. */
function pageOf<T extends { id: number }>(items: T[], limit: number) {
  const page = items.slice(0, limit);
  return { items: page, nextCursor: items.length > limit ? String(page[page.length - 1]!.id) : null };
}

export function createFindingsRouter(deps: FindingsRouterDeps): Router {
  const r = Router();
  const viewer = deps.auth.require('viewer');

  r.get(
    '/findings',
    viewer,
    handle(async (req, res) => {
      const q = parseInput(FindingsQuery, req.query, 'query');
      const items = await deps.store.listFindings({
        status: q.status,
        limit: q.limit + 1,
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.node !== undefined ? { node: parseNodeKey(q.node, 'node') } : {}),
        ...(q.cursor !== undefined ? { before: q.cursor } : {}),
      });
      res.json(pageOf(items, q.limit));
    }),
  );

  r.get(
    '/signals',
    viewer,
    handle(async (req, res) => {
      const q = parseInput(SignalsQuery, req.query, 'query');
      const items = await deps.store.signalHistory({
        limit: q.limit + 1,
        ...(q.status === 'active' ? { active: true } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.node !== undefined ? { node: parseNodeKey(q.node, 'node') } : {}),
        ...(q.sinceMs !== undefined ? { sinceMs: q.sinceMs } : {}),
        ...(q.cursor !== undefined ? { before: q.cursor } : {}),
      });
      res.json(pageOf(items, q.limit));
    }),
  );

  return r;
}
