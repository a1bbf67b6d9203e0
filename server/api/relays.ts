/**
 * Relays: GET /relays (?crawl=, default the latest recorded crawl): the relayed connections of a crawl
 * (from, to, via, relay RTT, direct RTT and the RTT of the direct legs where known) and the relays
 * ranked by the connections they carry. 404 when the crawl has no retained topology. Viewer role.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Auth } from '../auth/types.js';
import { ApiError, handle, parseInput } from '../http/errors.js';
import type { Store } from '../store/index.js';

export interface RelaysRouterDeps {
  auth: Pick<Auth, 'require'>;
  store: Pick<Store, 'relaysAt'>;
}

const RelaysQuery = z.strictObject({
  crawl: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});

export function createRelaysRouter(deps: RelaysRouterDeps): Router {
  const r = Router();

  r.get(
    '/relays',
    deps.auth.require('viewer'),
    handle(async (req, res) => {
      const q = parseInput(RelaysQuery, req.query, 'query');
      const report = await deps.store.relaysAt(q.crawl);
      if (!report) {
        throw new ApiError(
          'not_found',
          q.crawl === undefined
            ? 'no recorded crawl yet'
            : `crawl ${q.crawl} has no retained topology (unknown, not recorded, or older than the raw window)`,
        );
      }
      res.json(report);
    }),
  );

  return r;
}
