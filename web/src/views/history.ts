/**
 * Ring history for the Overview charts. The main series come from GET /ring/history when the server
 * has it (checked once in the OpenAPI document, so an older server costs no failed request), else they
 * are rebuilt from GET /crawls pages (joined/lost unknown). Findings by kind are not in the history
 * (it has totals), so they come from the most recent crawl records, and live from each crawl summary.
 */
import type { Api } from '../api.js';
import type { CrawlRecord, FindingKind, RangeKey } from '../types.js';
import { RANGES } from '../types.js';

/** One point of the main charts (a crawl, or a bucket of crawls). */
export interface ChartPoint {
  t: number;
  nodes: number | null;
  reachable: number | null;
  consistency: number | null;
  rings: number | null;
  findings: number | null;
  durationMs: number | null;
  joined: number | null;
  lost: number | null;
}

/** Findings by kind at one crawl. */
export interface KindPoint {
  t: number;
  counts: Partial<Record<FindingKind, number>>;
}

export interface History {
  points: ChartPoint[];
  kinds: KindPoint[];
  source: 'history' | 'crawls';
  /** Crawl records were cut short: by-kind (and, from crawls, every series) covers the newest part only. */
  truncated: boolean;
}

/** What GET /ring/history answers (the fields the charts read are exactly a ChartPoint's). */
interface WireHistory {
  points: ChartPoint[];
}

const sum = (r: Partial<Record<string, number>>) =>
  Object.values(r).reduce<number>((a, b) => a + (b ?? 0), 0);

/** A crawl record as a chart point. */
export function pointOfCrawl(c: CrawlRecord): ChartPoint {
  return {
    t: c.startedAt,
    nodes: c.discovered,
    reachable: c.reachable,
    consistency: c.consistency,
    rings: c.rings,
    findings: c.findingsTotal ?? sum(c.findings),
    durationMs: c.durationMs,
    joined: null,
    lost: null,
  };
}

/** The succeeded crawls since `since`, oldest first. */
export function succeededSince(crawls: readonly CrawlRecord[], since: number): CrawlRecord[] {
  return crawls
    .filter((c) => c.state === 'succeeded' && c.startedAt >= since)
    .sort((a, b) => a.startedAt - b.startedAt);
}

/** Keep the kind points inside the range ending `now`, adding one (a live crawl) if given. */
export function trimKinds(kinds: readonly KindPoint[], since: number, add?: KindPoint): KindPoint[] {
  const out = kinds.filter((k) => k.t >= since);
  if (add && !out.some((k) => k.t === add.t)) out.push(add);
  return out;
}

export interface HistorySource {
  /** Everything for a range. */
  load(range: RangeKey, signal?: AbortSignal): Promise<History>;
  /** Only the main series (after a crawl; the caller appends kinds from the summary). */
  points(range: RangeKey, signal?: AbortSignal): Promise<ChartPoint[]>;
}

/** Contract: never requests a history route the server does not document; API errors reject. */
export function createHistorySource(
  api: Api,
  now: () => number,
  opts: { maxPages?: number } = {},
): HistorySource {
  const maxPages = opts.maxPages ?? 3;
  let hasRoute: Promise<boolean> | null = null;
  const probe = () =>
    (hasRoute ??= api
      .get<{ paths?: Record<string, unknown> }>('/openapi.json')
      .then((doc) => Boolean(doc.paths && '/ring/history' in doc.paths))
      .catch(() => {
        hasRoute = null;
        return false;
      }));

  async function crawlsSince(
    since: number,
    signal?: AbortSignal,
  ): Promise<{ crawls: CrawlRecord[]; truncated: boolean }> {
    const all: CrawlRecord[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const res = await api.crawls({ limit: 1000, cursor }, signal);
      all.push(...res.items);
      cursor = res.nextCursor;
      const oldest = res.items.at(-1);
      if (!cursor || !oldest || oldest.startedAt < since)
        return { crawls: succeededSince(all, since), truncated: false };
    }
    return { crawls: succeededSince(all, since), truncated: true };
  }

  async function fromHistory(range: RangeKey, signal?: AbortSignal): Promise<ChartPoint[]> {
    const h = await api.get<WireHistory>('/ring/history', { range, maxPoints: 600 }, signal);
    return h.points
      .map((p) => ({
        t: p.t,
        nodes: p.nodes,
        reachable: p.reachable,
        consistency: p.consistency,
        rings: p.rings,
        findings: p.findings,
        durationMs: p.durationMs,
        joined: p.joined,
        lost: p.lost,
      }))
      .sort((a, b) => a.t - b.t);
  }

  return {
    async load(range, signal) {
      const since = now() - RANGES[range];
      const viaHistory = await probe();
      const [points, recent] = await Promise.all([
        viaHistory ? fromHistory(range, signal) : Promise.resolve(null),
        crawlsSince(since, signal),
      ]);
      return {
        points: points ?? recent.crawls.map(pointOfCrawl),
        kinds: recent.crawls.map((c) => ({ t: c.startedAt, counts: c.findings })),
        source: viaHistory ? 'history' : 'crawls',
        truncated: recent.truncated,
      };
    },
    async points(range, signal) {
      if (await probe()) return fromHistory(range, signal);
      const { crawls } = await crawlsSince(now() - RANGES[range], signal);
      return crawls.map(pointOfCrawl);
    },
  };
}
