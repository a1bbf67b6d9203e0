/**
 * Ring summary and crawl history: GET /summary, GET/POST /crawls, GET /crawls/:id, GET /crawls/:id/topology.
 * The topology of any retained crawl is rebuilt exactly (time travel), with each node's position on the
 * ring (ID / 2^160) and its health at that crawl (detector signals folded in).
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { NodeHealth } from '../core/model.js';
import { principalOf, type Auth } from '../auth/types.js';
import type { CrawlControl } from '../pipeline/control.js';
import { actorOf } from '../auth/audit.js';
import type { CrawlRecord, Database, Store, Topology } from '../store/index.js';
import { ApiError, handle, parseInput } from '../http/errors.js';

export interface CrawlsRouterDeps {
  auth: Pick<Auth, 'require'>;
  store: Pick<Store, 'latestCrawl' | 'listCrawls' | 'getCrawl' | 'topologyAt'>;
  db: Database;
  crawls: Pick<CrawlControl, 'trigger' | 'progress'>;
  /** Alerts firing now (0 until alerting is wired). */
  firingAlerts(): Promise<number>;
}

/** Topology answers kept (a 10k ring's is ~7 MB without connections, ~29 MB with). */
const TOPOLOGY_CACHE = 4;

const CrawlId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Fraction of the ring (0 ≤ x < 1) at which a 160-bit hex ID sits; endpoint keys get null. */
export function ringPosition(nodeId: string | null): number | null {
  if (!nodeId) return null;
  return parseInt(nodeId.slice(0, 13), 16) / 2 ** 52;
}

export function crawlJson(c: CrawlRecord) {
  return c;
}

/** Health per node key at a crawl: the strongest active node signal, else the crawl state. */
export async function healthAt(db: Database, crawlId: number): Promise<Map<string, NodeHealth>> {
  const rows = await db.all<{ node_key: string; kind: string }>(
    `SELECT node_key, kind FROM signals
      WHERE node_key IS NOT NULL AND from_crawl <= ? AND (to_crawl IS NULL OR to_crawl > ?)
        AND kind IN ('node_lost', 'thread_stalled', 'persistent_inconsistency')`,
    [crawlId, crawlId],
  );
  const rank: Record<string, number> = { persistent_inconsistency: 1, thread_stalled: 2, node_lost: 3 };
  const health: Record<string, NodeHealth> = {
    persistent_inconsistency: 'persistent',
    thread_stalled: 'stalled',
    node_lost: 'lost',
  };
  const best = new Map<string, string>();
  for (const r of rows) {
    const cur = best.get(r.node_key);
    if (!cur || rank[r.kind]! > rank[cur]!) best.set(r.node_key, r.kind);
  }
  return new Map([...best].map(([k, kind]) => [k, health[kind]!]));
}

export function topologyJson(t: Topology, health: Map<string, NodeHealth>) {
  return {
    crawl: t.crawl,
    nodes: t.nodes.map((n) => ({
      ...n,
      position: ringPosition(n.nodeId),
      health: health.get(n.key) ?? n.state,
    })),
    edges: t.edges,
  };
}

/** A JSON answer encoded once: at 10k nodes a topology is megabytes, slow to encode and hash per request. */
interface Answer {
  body: Buffer;
  etag: string;
}

function answer(value: unknown): Answer {
  const body = Buffer.from(JSON.stringify(value));
  return {
    body,
    etag: `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64url')}"`,
  };
}

export function createCrawlsRouter(deps: CrawlsRouterDeps): Router {
  const r = Router();
  const viewer = deps.auth.require('viewer');
  /** Serialised topology answers by `crawlId:connections`, oldest first (at most TOPOLOGY_CACHE). */
  const topologies = new Map<string, Promise<Answer | null>>();

  r.get(
    '/summary',
    viewer,
    handle(async (req, res) => {
      parseInput(z.strictObject({}), req.query, 'query');
      const last = await deps.store.latestCrawl();
      const [recent] = await deps.store.listCrawls({ limit: 1 });
      const nodes = last
        ? await deps.db.get<{ n: number }>(
            `SELECT count(*) AS n FROM nodes WHERE seen_from IS NOT NULL AND seen_until IS NULL`,
          )
        : undefined;
      res.json({
        nodes: last?.discovered ?? 0,
        known: nodes?.n ?? 0,
        reachable: last?.reachable ?? 0,
        unreachable: last?.unreachable ?? 0,
        consistency: last?.consistency ?? null,
        rings: last?.rings ?? 0,
        mainRingSize: last?.mainRingSize ?? 0,
        findings: last?.findings ?? {},
        lastCrawl: last
          ? {
              id: last.id,
              state: last.state,
              startedAt: last.startedAt,
              finishedAt: last.finishedAt,
              durationMs: last.durationMs,
            }
          : null,
        latestAttempt: recent
          ? { id: recent.id, state: recent.state, startedAt: recent.startedAt, reason: recent.reason }
          : null,
        running: deps.crawls.progress(),
        firingAlerts: await deps.firingAlerts(),
      });
    }),
  );

  r.get(
    '/crawls',
    viewer,
    handle(async (req, res) => {
      const q = parseInput(
        z.strictObject({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          cursor: CrawlId.optional(),
        }),
        req.query,
        'query',
      );
      const items = await deps.store.listCrawls({
        limit: q.limit + 1,
        ...(q.cursor ? { before: q.cursor } : {}),
      });
      const page = items.slice(0, q.limit);
      res.json({
        items: page,
        nextCursor: items.length > q.limit ? String(page[page.length - 1]!.id) : null,
      });
    }),
  );

  r.post(
    '/crawls',
    deps.auth.require('operator'),
    handle(async (req, res) => {
      parseInput(
        z.strictObject({ strategy: z.enum(['parallel', 'ring-walk']).optional() }),
        req.body ?? {},
        'body',
      );
      const body = req.body as { strategy?: 'parallel' | 'ring-walk' } | undefined;
      const crawlId = await deps.crawls.trigger(body?.strategy ?? 'parallel', actorOf(principalOf(res)));
      res.status(202).json({ crawlId, state: 'running' });
    }),
  );

  r.get(
    '/crawls/:id',
    viewer,
    handle(async (req, res) => {
      const id = parseInput(CrawlId, req.params.id, 'crawl id');
      const c = await deps.store.getCrawl(id);
      if (!c) throw new ApiError('not_found', `no crawl ${id}`);
      res.json(c);
    }),
  );

  r.get(
    '/crawls/:id/topology',
    viewer,
    handle(async (req, res) => {
      const id = parseInput(CrawlId, req.params.id, 'crawl id');
      const q = parseInput(
        z.strictObject({ connections: z.enum(['true', 'false']).default('true') }),
        req.query,
        'query',
      );
      const c = await deps.store.getCrawl(id);
      if (!c) throw new ApiError('not_found', `no crawl ${id}`);
      // A committed crawl's topology and health never change: build its answer once for every
      // dashboard that asks after crawl:finished (each build holds the database for a second at 10k).
      const key = `${id}:${q.connections}`;
      const cacheable = c.state === 'succeeded' && c.data === 'raw';
      let body = cacheable ? topologies.get(key) : undefined;
      if (!body) {
        body = (async () => {
          const t = await deps.store.topologyAt(id, { connections: q.connections === 'true' });
          return t ? answer(topologyJson(t, await healthAt(deps.db, id))) : null;
        })();
        if (cacheable) {
          topologies.set(key, body);
          for (const old of topologies.keys()) if (topologies.size > TOPOLOGY_CACHE) topologies.delete(old);
          const built = body;
          const drop = () => void (topologies.get(key) === built && topologies.delete(key));
          built.then((b) => b === null && drop(), drop);
        }
      }
      const built = await body;
      if (built === null) {
        throw new ApiError(
          'not_found',
          c.data === 'pruned'
            ? `crawl ${id} is older than the raw retention window; only rollups remain`
            : `crawl ${id} has no recorded topology (state ${c.state})`,
        );
      }
      // With the ETag set, express neither hashes the body again nor sends it to a client that has it.
      res.type('json').set('ETag', built.etag).send(built.body);
    }),
  );

  return r;
}
