/**
 * API test fixture for the nodes, findings and relays routers: a tiny express app with a fake auth
 * (role from the x-test-role header, 401 without it), the routers over a real store, on 127.0.0.1:0.
 */
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import express from 'express';
import type { RequestHandler } from 'express';
import { roleAtLeast } from '../../server/auth/types.js';
import type { Principal, Role } from '../../server/auth/types.js';
import { createFindingsRouter } from '../../server/api/findings.js';
import { createNodesRouter } from '../../server/api/nodes.js';
import { createRelaysRouter } from '../../server/api/relays.js';
import type { Clock } from '../../server/core/clock.js';
import { errorBody, errorHandler } from '../../server/http/errors.js';
import type { Store } from '../../server/store/index.js';

export const fakeAuth = {
  middleware(): RequestHandler {
    return (req, res, next) => {
      // Any value is taken as the role, so an unknown one (e.g. 'guest') tests the routes' require().
      const role = req.header('x-test-role') as Role | undefined;
      if (!role) {
        res.status(401).json(errorBody('unauthenticated', 'no credentials'));
        return;
      }
      const p: Principal = { kind: 'token', id: 1, name: 'test', role, userId: null };
      res.locals.principal = p;
      next();
    };
  },
  require(role: Role): RequestHandler {
    return (_req, res, next) => {
      const p = res.locals.principal as Principal | undefined;
      if (!p) res.status(401).json(errorBody('unauthenticated', 'no credentials'));
      else if (!roleAtLeast(p.role, role)) res.status(403).json(errorBody('forbidden', `needs ${role}`));
      else next();
    };
  },
};

export interface Api {
  base: string;
  /** GET as `role` (default viewer; null: no credentials); JSON body and status. */
  get<T = unknown>(path: string, role?: string | null): Promise<{ status: number; body: T }>;
}

/** Serve the three routers over `store` on an ephemeral loopback port, closed after the test. */
export async function startApi(t: TestContext, store: Store, clock?: Clock): Promise<Api> {
  const app = express();
  app.use(express.json());
  app.use(fakeAuth.middleware());
  app.use(createNodesRouter({ auth: fakeAuth, store, ...(clock ? { clock } : {}) }));
  app.use(createFindingsRouter({ auth: fakeAuth, store }));
  app.use(createRelaysRouter({ auth: fakeAuth, store }));
  app.use(errorHandler((err) => console.error(err)));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    async get<T>(path: string, role: string | null = 'viewer') {
      const res = await fetch(`${base}${path}`, { headers: role ? { 'x-test-role': role } : {} });
      return { status: res.status, body: (await res.json()) as T };
    },
  };
}

/** Every page of GET /nodes (with the given query), following nextCursor. */
export async function allNodePages<T extends { key: string }>(
  api: Api,
  query: string,
): Promise<{ pages: number; items: T[] }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = query ? '&' : '';
    const path: string = `/nodes?${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r: { status: number; body: { items: T[]; nextCursor: string | null } } = await api.get(path);
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
    items.push(...r.body.items);
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor !== null && pages < 1000);
  return { pages, items };
}
