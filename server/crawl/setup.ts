/**
 * What a crawler is built from, as plain data: the same settings build it in the server's process
 * (`crawl.thread: main`) and in the crawl thread (thread-entry.ts), so both crawl alike.
 */
import type { Clock } from '../core/clock.js';
import { createAllowList } from './allow-list.js';
import { crawlerLimits, createCrawler } from './crawler.js';
import type { Crawler, CrawlerOptions } from './crawler.js';
import { createStatusFetcher, fetcherLimits } from './fetcher.js';

/** Structured-clone data (it crosses to the crawl thread as workerData). */
export interface CrawlSetup extends CrawlerOptions {
  /** Allow-list entries (CIDR networks, addresses, host names) the crawl may contact. */
  allow: readonly string[];
  /** Timeout of one visit attempt (ms); default FETCHER_DEFAULTS.timeoutMs. */
  timeoutMs?: number;
}

/** Throws on an invalid setting, without building anything (no sockets, no thread). */
export function checkCrawlSetup(setup: CrawlSetup): void {
  const { allow, timeoutMs, ...crawler } = setup;
  createAllowList(allow);
  crawlerLimits(crawler);
  fetcherLimits(timeoutMs !== undefined ? { timeoutMs } : {});
}

/** A crawler over its own status fetcher; close() closes the fetcher's sockets. Throws on an invalid setting. */
export function openCrawler(setup: CrawlSetup, clock: Clock): { crawler: Crawler; close(): Promise<void> } {
  const { allow, timeoutMs, ...limits } = setup;
  const fetcher = createStatusFetcher(
    { allow: createAllowList(allow), ...(timeoutMs !== undefined ? { timeoutMs } : {}) },
    { clock },
  );
  return { crawler: createCrawler({ fetcher, clock }, limits), close: () => fetcher.close() };
}
