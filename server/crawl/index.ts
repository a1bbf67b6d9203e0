/**
 * Public API of the crawler: the status fetcher, the generic crawl engine and the ring crawler.
 */
export { createAllowList, DEFAULT_ALLOWED_NETWORKS } from './allow-list.js';
export type { AllowFn } from './allow-list.js';
export { classifyError, MAX_DETAIL_LENGTH, TRANSIENT_ERRORS } from './classify.js';
export { createCrawler, CRAWLER_DEFAULTS } from './crawler.js';
export type { Crawler, CrawlerDeps, CrawlerOptions, CrawlRequest } from './crawler.js';
export { normalizeEndpoint } from './endpoint.js';
export { MAX_CRAWL_TARGETS, runCrawl } from './engine.js';
export type { CrawlEngineOptions, CrawlEngineResult, VisitOutcome } from './engine.js';
export { createStatusFetcher, FETCHER_DEFAULTS, isJsonContentType } from './fetcher.js';
export type { FetchOptions, StatusFetcher, StatusFetcherDeps, StatusFetcherOptions } from './fetcher.js';
export type { KnownNode, Target } from './targets.js';
export { checkCrawlSetup, openCrawler } from './setup.js';
export type { CrawlSetup } from './setup.js';
export { createCrawlThread } from './thread.js';
export type { CrawlThread, CrawlThreadDeps, CrawlThreadOptions } from './thread.js';
