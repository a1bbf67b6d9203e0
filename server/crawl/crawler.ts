/**
 * The crawler: one crawl of the ring, either breadth-first in parallel over every endpoint nodes report
 * (the default), or the sequential ring walk of Brunet's crawl.py. Produces a CrawlResult.
 */
import type { Clock } from '../core/clock.js';
import type { CrawlProgress, CrawlResult, CrawlStrategy, Visit } from '../core/model.js';
import { MAX_CRAWL_TARGETS, runCrawl } from './engine.js';
import type { StatusFetcher } from './fetcher.js';
import { walkRing } from './ring-walk.js';
import { conclude, createNodeRegistry, knownIndex, makeTarget, neighbourTargets } from './targets.js';
import type { KnownNode, Target } from './targets.js';

export const CRAWLER_DEFAULTS = {
  concurrency: 256,
  /** Endpoints visited per crawl (≤ MAX_CRAWL_TARGETS): 2.5× the largest ring we plan for (100k). */
  maxNodes: 250_000,
  /** Connections followed per node, after all ring.left/right entries (the schema allows 4096). */
  maxConnectionsPerNode: 256,
} as const;

export interface CrawlerDeps {
  /** Not owned: the caller closes it. */
  fetcher: StatusFetcher;
  clock: Clock;
}

export interface CrawlerOptions {
  /** Visits in flight at once (parallel strategy), default 256, at most 10,000 (one socket each). */
  concurrency?: number;
  /** Most endpoints visited in one crawl, default 250,000, at most 1,000,000. */
  maxNodes?: number;
  /** Connections of one status followed (ring neighbours are always followed), default 256. */
  maxConnectionsPerNode?: number;
}

export interface CrawlRequest {
  /** Endpoints to start from (normalised; unparseable ones are ignored). */
  seeds: readonly string[];
  /** Nodes found by the previous crawl: visited too (parallel), and their IDs are the expected IDs. */
  known?: readonly KnownNode[];
  strategy: CrawlStrategy;
  signal?: AbortSignal;
  /** Throttled (≤ 1 per 100 ms) plus one final event. */
  onProgress?: (progress: CrawlProgress) => void;
}

/**
 * Runs crawls. Contract: crawl() rejects only for an unknown strategy (every network failure is a
 * Visit); it resolves with state 'succeeded' when at least one visit succeeded, 'failed' (with reason) when none
 * did, 'aborted' when the signal fired (visits completed before the abort are kept; those in flight are
 * cancelled and dropped). Within one crawl each normalised endpoint is visited at most once and at most
 * maxNodes endpoints are visited. A valid answer with an already-seen node ID and the same self-reported
 * endpoint is an alias (listed in `aliases`, not in `visits`); with a different self-reported endpoint
 * both visits are kept (duplicate-ID evidence). id_mismatch answers are always kept and never make a
 * later valid answer an alias. `seeds` in the result are the normalised seeds.
 */
export interface Crawler {
  crawl(request: CrawlRequest): Promise<CrawlResult>;
}

function intOption(name: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > max)
    throw new Error(`createCrawler: ${name} must be an integer 1..${max}`);
  return v;
}

/** The crawler's limits with defaults applied; throws on an invalid value (shared with the crawl thread). */
export function crawlerLimits(options: CrawlerOptions): {
  concurrency: number;
  maxNodes: number;
  maxConnections: number;
} {
  return {
    // Each visit in flight holds one socket: stay well under the process's 20,000 open files.
    concurrency: intOption('concurrency', options.concurrency, CRAWLER_DEFAULTS.concurrency, 10_000),
    maxNodes: intOption('maxNodes', options.maxNodes, CRAWLER_DEFAULTS.maxNodes, MAX_CRAWL_TARGETS),
    maxConnections: intOption(
      'maxConnectionsPerNode',
      options.maxConnectionsPerNode,
      CRAWLER_DEFAULTS.maxConnectionsPerNode,
      100_000,
    ),
  };
}

export function createCrawler(deps: CrawlerDeps, options: CrawlerOptions = {}): Crawler {
  const { concurrency, maxNodes, maxConnections } = crawlerLimits(options);
  const { fetcher, clock } = deps;

  async function parallel(req: CrawlRequest, starts: Target[], known: ReadonlyMap<string, string>) {
    const registry = createNodeRegistry();
    const aliases: { endpoint: string; nodeId: string }[] = [];
    const knownTargets = [...known].map(([endpoint, nodeId]) => ({ endpoint, expectedId: nodeId }));
    const outcome = await runCrawl<Target, Visit>({
      seeds: [...starts, ...knownTargets],
      key: (t) => t.endpoint,
      concurrency,
      maxTargets: maxNodes,
      clock,
      signal: req.signal,
      onProgress: req.onProgress,
      isOk: (v) => v.ok,
      visit: async (target, signal) => {
        const visit = await fetcher.fetch(target.endpoint, { expectedId: target.expectedId, signal });
        if (!visit.status) return { result: visit, next: [] };
        // Only a valid answer under the expected ID claims an identity: an id_mismatch status (a node
        // replaying another's status) must not make that node's own later answer look like an alias.
        if (visit.ok && registry.admit(visit.status) === 'alias') {
          aliases.push({ endpoint: visit.endpoint, nodeId: visit.status.nodeId });
          return { next: [] };
        }
        return { result: visit, next: neighbourTargets(visit.status, known, maxConnections) };
      },
    });
    return { visits: outcome.results, aliases, aborted: outcome.state === 'aborted' };
  }

  return {
    async crawl(req) {
      const startedAt = clock.now();
      const known = knownIndex(req.known);
      const byEndpoint = new Map<string, Target>();
      for (const s of req.seeds) {
        const t = makeTarget(s, known);
        if (t && !byEndpoint.has(t.endpoint)) byEndpoint.set(t.endpoint, t);
      }
      const starts = [...byEndpoint.values()];
      const seeds = starts.map((t) => t.endpoint);
      let run: { visits: Visit[]; aliases: { endpoint: string; nodeId: string }[]; aborted: boolean };
      if (req.strategy === 'ring-walk') {
        const fallback = [...known].map(([endpoint, nodeId]) => ({ endpoint, expectedId: nodeId }));
        run = await walkRing(fetcher, clock, {
          starts: starts.length > 0 ? starts : fallback,
          known,
          maxNodes,
          signal: req.signal,
          onProgress: req.onProgress,
        });
      } else if (req.strategy === 'parallel') {
        run = await parallel(req, starts, known);
      } else {
        throw new Error(`crawl: unknown strategy "${String(req.strategy)}"`);
      }
      const { state, reason } = conclude(
        run.visits,
        run.aborted,
        req.signal?.reason,
        'no usable seed or known endpoint',
      );
      return {
        strategy: req.strategy,
        state,
        startedAt,
        finishedAt: Math.max(startedAt, clock.now()),
        seeds,
        visits: run.visits,
        ...(run.aliases.length > 0 ? { aliases: run.aliases } : {}),
        ...(reason !== undefined ? { reason } : {}),
      };
    },
  };
}
