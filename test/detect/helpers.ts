/**
 * Fixtures for detector tests: valid status documents, crawls (CrawlResult + RingAnalysis) built from
 * a per-node spec, and a Harness that runs the detectors crawl after crawl on a memory state store.
 */
import { StatusSchema } from '../../node-agent/schema.js';
import type { Status, ThreadState, ThreadStatus } from '../../node-agent/schema.js';
import type {
  CrawlResult,
  CrawlState,
  NodeAssessment,
  RingAnalysis,
  Visit,
} from '../../server/core/model.js';
import {
  createDetectors,
  createMemoryStateStore,
  createMemoryTrendSource,
  parseDetectorConfig,
  runDetectors,
} from '../../server/detect/index.js';
import type {
  Detector,
  DetectorConfig,
  DetectorConfigInput,
  DetectorName,
  MemoryStateData,
  MemoryTrendSource,
  Signal,
  SignalKind,
} from '../../server/detect/index.js';

export const T0 = Date.parse('2026-01-15T09:00:00.000Z');
export const CRAWL_MS = 60_000;
export const MiB = 1_048_576;

/** A deterministic 40-hex node ID from a small number. */
export function nodeId(n: number): string {
  return n.toString(16).padStart(40, '0');
}

export function ids(count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => nodeId(from + i));
}

export interface ThreadSpec {
  name: string;
  state?: ThreadState;
  /** How long before the node's `now` the thread last beat (default 0). */
  beatAgoMs?: number;
  deadlineMs?: number;
}

/** One node in one crawl. */
export interface NodeSpec {
  id: string;
  /** Verdict of the (synthetic) analysis; 'absent': not in the crawl at all. Default 'ok'. */
  state?: 'ok' | 'inconsistent' | 'unreachable' | 'absent';
  threads?: ThreadSpec[];
  rssBytes?: number;
  queueDepth?: number;
  /** Ring index of the node (default 0). */
  ring?: number;
  /** Self endpoint (default derived from the ID). */
  endpoint?: string;
  /** Offset of the node's clock from the crawler's (ms). */
  skewMs?: number;
}

export function endpointOf(id: string, tag = ''): string {
  return `http://10.0.0.1:7946/n/${id}${tag}`;
}

/** A valid (schema-checked) status answered at `at` by the crawler's clock. */
export function makeStatus(spec: NodeSpec, at: number): Status {
  const nodeNow = at + (spec.skewMs ?? 0);
  const threads: ThreadStatus[] = (spec.threads ?? []).map((t) => ({
    name: t.name,
    state: t.state ?? 'running',
    lastBeatAt: new Date(nodeNow - (t.beatAgoMs ?? 0)).toISOString(),
    deadlineMs: t.deadlineMs ?? 10_000,
  }));
  return StatusSchema.parse({
    schema: 1,
    nodeId: spec.id,
    endpoint: spec.endpoint ?? endpointOf(spec.id),
    version: 'test-1',
    startedAt: new Date(T0 - 3_600_000).toISOString(),
    now: new Date(nodeNow).toISOString(),
    ring: { left: [], right: [] },
    connections: [],
    traffic: { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 },
    process: { rssBytes: spec.rssBytes ?? 100 * MiB, heapUsedBytes: 0, cpuSeconds: 0, eventLoopLagMs: 0 },
    queue: { depth: spec.queueDepth ?? 0 },
    threads,
  });
}

export interface CrawlOptions {
  state?: Exclude<CrawlState, 'running'>;
  /** Override the analysis' ring count (default: distinct `ring` values of reachable nodes). */
  rings?: number;
}

/** A crawl at `at` of the nodes in `specs` with a synthetic analysis matching their `state`. */
export function makeCrawl(at: number, specs: readonly NodeSpec[], opts: CrawlOptions = {}) {
  const visits: Visit[] = [];
  const nodes: NodeAssessment[] = [];
  const byId = new Map<string, number>();
  const ringSizes = new Map<number, number>();
  for (const s of specs) {
    const state = s.state ?? 'ok';
    if (state === 'absent') continue;
    const endpoint = s.endpoint ?? endpointOf(s.id);
    const base = { endpoint, expectedId: s.id, startedAt: at, durationMs: 5, attempts: 1 };
    if (state === 'unreachable') {
      visits.push({ ...base, ok: false, error: 'timeout', detail: 'timeout' });
      nodes.push({
        nodeId: s.id,
        endpoint,
        reachable: false,
        state,
        score: null,
        checks: {},
        reported: {},
        expected: {},
      });
      continue;
    }
    visits.push({ ...base, ok: true, status: makeStatus(s, at) });
    const ring = s.ring ?? 0;
    nodes.push({
      nodeId: s.id,
      endpoint,
      reachable: true,
      state,
      score: state === 'ok' ? 1 : 0.5,
      checks: {},
      reported: {},
      expected: {},
      ring,
    });
    byId.set(s.id, (byId.get(s.id) ?? 0) + 1);
    ringSizes.set(ring, (ringSizes.get(ring) ?? 0) + 1);
  }
  const result: CrawlResult = {
    strategy: 'parallel',
    state: opts.state ?? 'succeeded',
    startedAt: at,
    finishedAt: at + 1000,
    seeds: [],
    visits,
  };
  const reachable = nodes.filter((n) => n.reachable);
  const analysis: RingAnalysis = {
    nodes,
    findings: [],
    consistency: reachable.length === 0 ? 1 : reachable.reduce((a, n) => a + n.score!, 0) / reachable.length,
    rings: opts.rings ?? ringSizes.size,
    mainRingSize: ringSizes.get(0) ?? 0,
    offRing: reachable.filter((n) => n.ring !== 0).map((n) => n.nodeId),
    duplicateIds: [...byId].filter(([, c]) => c > 1).map(([id]) => id),
  };
  return { result, analysis };
}

export interface HarnessOptions {
  config?: DetectorConfigInput;
  /** Run only these detectors (default: all). */
  only?: DetectorName[];
  /** Time between crawls (default CRAWL_MS). */
  intervalMs?: number;
}

/** Runs detectors crawl after crawl, like the recorder would, on memory state and trends. */
export class Harness {
  readonly data: MemoryStateData = new Map();
  state = createMemoryStateStore(this.data);
  readonly trends: MemoryTrendSource = createMemoryTrendSource();
  readonly config: DetectorConfig;
  detectors: Detector[];
  crawlId = 0;
  now = T0;
  readonly intervalMs: number;
  private readonly only: DetectorName[] | undefined;

  constructor(opts: HarnessOptions = {}) {
    this.config = parseDetectorConfig(opts.config ?? {});
    this.only = opts.only;
    this.intervalMs = opts.intervalMs ?? CRAWL_MS;
    this.detectors = this.build();
  }

  private build(): Detector[] {
    return createDetectors(this.config).filter((d) => this.only === undefined || this.only.includes(d.name));
  }

  /** One crawl at the current time; then the clock moves on by the interval. */
  async step(specs: readonly NodeSpec[], opts: CrawlOptions = {}): Promise<Signal[]> {
    const { result, analysis } = makeCrawl(this.now, specs, opts);
    this.trends.addCrawl(result);
    const signals = await runDetectors(
      {
        crawlId: ++this.crawlId,
        now: this.now,
        result,
        analysis,
        state: this.state,
        trends: this.trends,
        config: this.config,
      },
      this.detectors,
    );
    this.now += this.intervalMs;
    return signals;
  }

  /** A process restart: fresh detector objects and a fresh store handle over the same data. */
  restart(): void {
    this.state = createMemoryStateStore(this.data);
    this.detectors = this.build();
  }
}

/** Specs for `list` with one field set for all. */
export function all(list: readonly string[], patch: Partial<NodeSpec> = {}): NodeSpec[] {
  return list.map((id) => ({ ...patch, id }));
}

export const activeOf = (signals: readonly Signal[], kind?: SignalKind): Signal[] =>
  signals.filter((s) => s.active && (kind === undefined || s.kind === kind));
export const clearsOf = (signals: readonly Signal[], kind?: SignalKind): Signal[] =>
  signals.filter((s) => !s.active && (kind === undefined || s.kind === kind));

/** "kind node thread +/-" summaries (node IDs shortened to their last 4 digits), in signal order. */
export function brief(signals: readonly Signal[]): string[] {
  return signals.map(
    (s) =>
      `${s.kind}${s.nodeId ? ` ${s.nodeId.slice(-4)}` : ''}${s.thread ? ` ${s.thread}` : ''} ${s.active ? '+' : '-'}`,
  );
}
