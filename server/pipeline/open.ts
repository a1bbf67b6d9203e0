/**
 * Builds a ready pipeline (database, store, fetcher, crawler, detectors) from plain options. `ringwatch crawl`
 * and `ringwatch start` both wire through here, so there is one way the stages are put together.
 */
import { isIP } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { CrawlThreadMode } from '../core/model.js';
import { createCrawlThread, openCrawler, type CrawlSetup } from '../crawl/index.js';
import { createDetectors, parseDetectorConfig, type DetectorConfigInput } from '../detect/index.js';
import {
  createSqliteStateStore,
  createSqliteTrendSource,
  createStore,
  openDatabase,
  type Database,
  type Store,
} from '../store/index.js';
import { createCrawlPipeline, type CrawlPipeline, type PipelineEvent } from './crawl-pipeline.js';

export interface PipelineOptions {
  /** SQLite file; ':memory:' keeps nothing after the process ends. */
  db: string;
  seeds: string[];
  concurrency?: number;
  timeoutMs?: number;
  maxNodes?: number;
  /** Networks (CIDR), addresses or host names the crawler may contact; default: the seeds' networks. */
  allow?: string[];
  /** Where visits run, default 'main'; the server uses 'worker' (config `crawl.thread`). */
  thread?: CrawlThreadMode;
  detectors?: DetectorConfigInput;
}

/** Contract: close() stops the crawler (its sockets, or its thread) and closes the database; idempotent. */
export interface OpenPipeline {
  pipeline: CrawlPipeline;
  store: Store;
  db: Database;
  allow: string[];
  close(): Promise<void>;
}

/**
 * The networks a crawl may reach when none are configured: those of its seeds. Loopback seeds allow the
 * loopback range; an IPv4 seed its /24; an IPv6 seed its /64; a host name itself.
 */
export function networksOfSeeds(seeds: readonly string[]): string[] {
  const out = new Set<string>();
  for (const seed of seeds) {
    let host: string;
    try {
      host = new URL(seed).hostname.replace(/^\[|\]$/g, '');
    } catch {
      continue;
    }
    const v = isIP(host);
    if (host === 'localhost' || host.startsWith('127.') || host === '::1') {
      out.add('127.0.0.0/8');
      out.add('::1/128');
    } else if (v === 4) {
      out.add(`${host.split('.').slice(0, 3).join('.')}.0/24`);
    } else if (v === 6) {
      const groups = host.split('::')[0]!.split(':');
      out.add(
        `${[...groups.slice(0, 4), ...Array<string>(Math.max(0, 4 - groups.length)).fill('0')].slice(0, 4).join(':')}::/64`,
      );
    } else {
      out.add(host);
    }
  }
  return [...out];
}

export async function openPipeline(
  opts: PipelineOptions,
  deps: { clock: Clock; emit?: (e: PipelineEvent) => void },
): Promise<OpenPipeline> {
  const allow = opts.allow && opts.allow.length > 0 ? opts.allow : networksOfSeeds(opts.seeds);
  const detectorConfig = parseDetectorConfig(opts.detectors);
  const setup: CrawlSetup = {
    allow,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.maxNodes !== undefined ? { maxNodes: opts.maxNodes } : {}),
  };
  const thread = opts.thread === 'worker' ? createCrawlThread({ clock: deps.clock }, setup) : undefined;
  const local = thread ? undefined : openCrawler(setup, deps.clock);
  const crawler = thread ?? local!.crawler;
  const db = await openDatabase(opts.db, { clock: deps.clock });
  const store = await createStore(db, deps.clock);
  const pipeline = createCrawlPipeline({
    clock: deps.clock,
    crawler,
    store,
    state: createSqliteStateStore(db),
    trends: createSqliteTrendSource(db),
    detectors: createDetectors(detectorConfig),
    detectorConfig,
    seeds: () => opts.seeds,
    ...(deps.emit ? { emit: deps.emit } : {}),
  });
  let closed = false;
  return {
    pipeline,
    store,
    db,
    allow,
    async close() {
      if (closed) return;
      closed = true;
      await (thread ? thread.close() : local!.close());
      await db.close();
    },
  };
}
