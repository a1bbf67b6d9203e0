/**
 * Nodes: GET /nodes (list with derived state, filter by state and ID prefix, keyset pages),
 * GET /nodes/:id (detail: expected vs reported neighbours, findings, signals) and
 * GET /nodes/:id/series (metric time series). `:id` is a node ID (40 hex, any case) or, for a node
 * never identified, its URL-encoded endpoint. All viewer role.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Auth } from '../auth/types.js';
import { systemClock, type Clock } from '../core/clock.js';
import { NODE_STATES } from '../core/model.js';
import { ApiError, handle, parseInput } from '../http/errors.js';
import type { Store } from '../store/index.js';

export interface NodesRouterDeps {
  auth: Pick<Auth, 'require'>;
  store: Pick<Store, 'listNodes' | 'nodeDetail' | 'nodeSeries'>;
  /** For `range` queries (now − range); default the system clock. */
  clock?: Clock;
}

const NODE_ID = /^[0-9a-fA-F]{40}$/;
const UNITS_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Longest series range: the hourly rollups' default window. */
const MAX_RANGE_MS = 90 * UNITS_MS.d;

function isEndpoint(s: string): boolean {
  if (s.length > 2048) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A node key from a path or query value: node ID (lowercased) or endpoint URL; 400 otherwise. */
export function parseNodeKey(value: unknown, where: string): string {
  const s = typeof value === 'string' ? value : '';
  if (NODE_ID.test(s)) return s.toLowerCase();
  if (isEndpoint(s)) return s;
  throw new ApiError('bad_request', `invalid ${where}`, [
    { path: where, message: 'must be a node ID (40 hex characters) or an endpoint URL' },
  ]);
}

/** Opaque page cursor of the node list: the last key, base64url-encoded. */
export const encodeNodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

function decodeNodeCursor(cursor: string): string {
  const key = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (NODE_ID.test(key) && key === key.toLowerCase()) return key;
  if (isEndpoint(key)) return key;
  throw new ApiError('bad_request', 'invalid query', [
    { path: 'cursor', message: 'not a cursor of this list' },
  ]);
}

/** '90m', '24h', '7d' → ms; NaN for anything else. */
export function parseRange(range: string): number {
  const m = /^(\d{1,6})([mhd])$/.exec(range);
  return m ? Number(m[1]) * UNITS_MS[m[2] as keyof typeof UNITS_MS] : NaN;
}

const ListQuery = z.strictObject({
  state: z.enum(NODE_STATES).optional(),
  prefix: z
    .string()
    .regex(/^[0-9a-fA-F]{1,40}$/, 'must be 1 to 40 hex characters')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(4096).optional(),
});

const TimeMs = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const SeriesQuery = z
  .strictObject({
    sinceMs: TimeMs.optional(),
    untilMs: TimeMs.optional(),
    range: z
      .string()
      .regex(/^\d{1,6}[mhd]$/, "must be a number and a unit m, h or d, like '1h', '24h', '7d'")
      .refine((r) => {
        const ms = parseRange(r);
        return Number.isNaN(ms) || (ms > 0 && ms <= MAX_RANGE_MS);
      }, 'must be more than 0 and at most 90d')
      .optional(),
    maxPoints: z.coerce.number().int().min(1).max(10_000).default(500),
  })
  .refine((q) => q.sinceMs === undefined || q.range === undefined, {
    message: 'give sinceMs or range, not both',
    path: ['range'],
  })
  .refine((q) => q.sinceMs === undefined || q.untilMs === undefined || q.sinceMs < q.untilMs, {
    message: 'must be after sinceMs',
    path: ['untilMs'],
  });

export function createNodesRouter(deps: NodesRouterDeps): Router {
  const r = Router();
  const viewer = deps.auth.require('viewer');
  const clock = deps.clock ?? systemClock();

  r.get(
    '/nodes',
    viewer,
    handle(async (req, res) => {
      const q = parseInput(ListQuery, req.query, 'query');
      const page = await deps.store.listNodes({
        limit: q.limit,
        ...(q.state ? { state: q.state } : {}),
        ...(q.prefix ? { prefix: q.prefix.toLowerCase() } : {}),
        ...(q.cursor ? { cursor: decodeNodeCursor(q.cursor) } : {}),
      });
      res.json({
        items: page.items,
        nextCursor: page.nextCursor === null ? null : encodeNodeCursor(page.nextCursor),
      });
    }),
  );

  r.get(
    '/nodes/:id',
    viewer,
    handle(async (req, res) => {
      parseInput(z.strictObject({}), req.query, 'query');
      const key = parseNodeKey(req.params.id, 'id');
      const detail = await deps.store.nodeDetail(key);
      if (!detail) throw new ApiError('not_found', `no node ${key}`);
      res.json(detail);
    }),
  );

  r.get(
    '/nodes/:id/series',
    viewer,
    handle(async (req, res) => {
      const q = parseInput(SeriesQuery, req.query, 'query');
      const key = parseNodeKey(req.params.id, 'id');
      const untilMs = q.untilMs ?? clock.now();
      const sinceMs = q.sinceMs ?? untilMs - parseRange(q.range ?? '24h');
      if (sinceMs >= untilMs) {
        throw new ApiError('bad_request', 'invalid query', [
          { path: 'untilMs', message: 'must be after sinceMs' },
        ]);
      }
      const series = await deps.store.nodeSeries(key, { sinceMs, untilMs, maxPoints: q.maxPoints });
      if (!series) throw new ApiError('not_found', `no node ${key}`);
      res.json(series);
    }),
  );

  return r;
}
