/**
 * Alert engine test fixtures: a temp SQLite file, a recording fake Notifier, signal and crawl_finished
 * event builders, and an engine on a manual clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseAlertingConfig, type AlertingConfigInput } from '../../server/alert/config.js';
import { createAlertEngine, type AlertChange, type AlertEngine } from '../../server/alert/engine.js';
import type { ChannelKind, Notification, Notifier } from '../../server/alert/types.js';
import { manualClock, type ManualClock } from '../../server/core/clock.js';
import { SIGNAL_DETECTOR, type Signal, type SignalKind } from '../../server/detect/types.js';
import type { CrawlSummary, PipelineEvent } from '../../server/pipeline/crawl-pipeline.js';
import { openDatabase, type Database } from '../../server/store/index.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const NODE_A = 'a'.repeat(40);
export const NODE_B = 'b'.repeat(40);
export const NODE_C = 'c'.repeat(40);

/** A Notifier that records what it is given. */
export interface FakeNotifier extends Notifier {
  sent: Notification[];
  tested: string[];
  /** Firing/resolved notifications of one rule. */
  of(rule: string, status?: 'firing' | 'resolved'): Notification[];
}

export function fakeNotifier(
  channels: { name: string; kind: ChannelKind }[] = [{ name: 'ops-hook', kind: 'webhook' }],
): FakeNotifier {
  const sent: Notification[] = [];
  const tested: string[] = [];
  return {
    sent,
    tested,
    of: (rule, status) => sent.filter((n) => n.groupKey === rule && (!status || n.status === status)),
    notify: (n) => {
      sent.push(structuredClone(n));
    },
    test(name) {
      tested.push(name);
      return Promise.resolve(name === 'broken' ? { ok: false, error: 'refused' } : { ok: true });
    },
    channels: () => channels.map((c) => ({ ...c })),
    idle: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** A temp directory removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'rw-alert-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens (migrating) the database file; closed after the test. */
export async function openDb(t: TestContext, file: string, clock: ManualClock): Promise<Database> {
  const db = await openDatabase(file, { clock });
  t.after(() => db.close());
  return db;
}

export function sig(
  kind: SignalKind,
  opts: { node?: string; thread?: string; active?: boolean; value?: number; detail?: string } = {},
): Signal {
  return {
    detector: SIGNAL_DETECTOR[kind],
    kind,
    ...(opts.node !== undefined ? { nodeId: opts.node } : {}),
    ...(opts.thread !== undefined ? { thread: opts.thread } : {}),
    active: opts.active ?? true,
    since: 0,
    ...(opts.value !== undefined ? { value: opts.value } : {}),
    detail: opts.detail ?? `${kind} detail`,
  };
}

/** A succeeded crawl's summary with nothing found; `over` sets any field. */
export function crawlSummary(over: Partial<CrawlSummary> & { crawlId: number }): CrawlSummary {
  return {
    strategy: 'parallel',
    state: 'succeeded',
    startedAt: 0,
    durationMs: 1,
    discovered: 0,
    reachable: 0,
    unreachable: 0,
    rings: 1,
    mainRingSize: 0,
    consistency: 1,
    findings: {},
    errors: {},
    persistentInconsistent: [],
    stalledThreads: [],
    lost: [],
    nonlinearLoss: false,
    ringSplit: false,
    duplicateIds: [],
    growth: [],
    timings: { crawl: 1, analyze: 0, persist: 0 },
    ...over,
  };
}

/** A crawl_finished event carrying `signals` (state succeeded unless given). */
export function crawled(
  crawlId: number,
  signals: Signal[],
  state: CrawlSummary['state'] = 'succeeded',
  reason?: string,
): PipelineEvent {
  const summary = crawlSummary({ crawlId, state, ...(reason ? { reason } : {}) });
  return { type: 'crawl_finished', summary, delta: null, signals: state === 'succeeded' ? signals : [] };
}

export interface EngineFixture {
  clock: ManualClock;
  db: Database;
  file: string;
  notifier: FakeNotifier;
  changes: AlertChange[];
  engine: AlertEngine;
  /** observe a successful crawl with these signals (crawl ids count up). */
  crawl(signals: Signal[]): Promise<void>;
  /** Stops the engine; a new one (and notifier) on a new connection to the same file, as after a restart. */
  restart(config?: AlertingConfigInput): Promise<{ engine: AlertEngine; notifier: FakeNotifier }>;
}

export async function engineFixture(
  t: TestContext,
  config: AlertingConfigInput = {},
  clock: ManualClock = manualClock(),
): Promise<EngineFixture> {
  // Most tests move time by hours without crawling: CrawlerStale is off unless a test configures it.
  config = { ...config, rules: { CrawlerStale: { enabled: false }, ...config.rules } };
  const file = join(tempDir(t), 'ringwatch.db');
  const db = await openDb(t, file, clock);
  const notifier = fakeNotifier();
  const changes: AlertChange[] = [];
  const engine = createAlertEngine({
    db,
    clock,
    notifier,
    config: parseAlertingConfig(config),
    onChange: (c) => changes.push(c),
  });
  t.after(() => engine.stop());
  let crawlId = 0;
  return {
    clock,
    db,
    file,
    notifier,
    changes,
    engine,
    crawl: (signals) => engine.observe(crawled(++crawlId, signals)),
    async restart(next = config) {
      await engine.stop();
      const n = fakeNotifier();
      const db2 = await openDb(t, file, clock);
      const e = createAlertEngine({ db: db2, clock, notifier: n, config: parseAlertingConfig(next) });
      t.after(() => e.stop());
      return { engine: e, notifier: n };
    },
  };
}
