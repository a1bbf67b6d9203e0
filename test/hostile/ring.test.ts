/**
 * End to end: a ring of honest agents with the hostile corpus mixed in, crawled by the real pipeline
 * (openPipeline → crawl → analyze → store → detect) into a temp SQLite file. Every hostile node must be
 * classified as its case says, nothing may crash or hang, no packet may leave 127.0.0.0/8, memory must
 * stay bounded, and the honest ring must be crawled normally. Then an unbounded fan-out against maxNodes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../server/core/clock.js';
import type { FindingKind, VisitErrorKind } from '../../server/core/model.js';
import { CRAWLER_DEFAULTS, FETCHER_DEFAULTS, TRANSIENT_ERRORS } from '../../server/crawl/index.js';
import type { CrawlSummary } from '../../server/pipeline/crawl-pipeline.js';
import { openPipeline } from '../../server/pipeline/open.js';
import type { OpenPipeline } from '../../server/pipeline/open.js';
import { startFanOut } from './fanout.js';
import { measureMemory, MIB } from './memory.js';
import type { MemoryReport } from './memory.js';
import { expectedSlotFaults, startHonestRing, startMixedRing } from './mixed-ring.js';
import type { MixedRing } from './mixed-ring.js';
import { AMPLIFIER_CONNECTIONS } from './payload-cases.js';
import { selfSignedCert } from './tls.js';

const NODES = 30;
const TIMEOUT_MS = 1000;
const RETRIES = FETCHER_DEFAULTS.retries;
const MAX_CONNECTIONS = CRAWLER_DEFAULTS.maxConnectionsPerNode; // openPipeline keeps the default
/** Longest sum of backoffs over all retries (sleep n ≤ base · 2^(n-1)). */
const BACKOFF_MAX = FETCHER_DEFAULTS.backoffBaseMs * (2 ** RETRIES - 1);
/** Scheduling slack per attempt on a loaded machine: a bound on hangs, not a performance target. */
const SLACK_MS = 1500;
/** The stated memory bound for a whole crawl: peak RSS and peak heap over the post-GC baseline. */
const MEMORY_BOUND = 150 * MIB;
/** Bytes a streamed 100 MB answer may hand to its socket per request before the crawler hangs up. */
const STREAM_BOUND = 16 * MIB;

/**
 * Attempts of a visit with this final outcome: none when not allowed; all of them when every attempt
 * failed transiently; else one, or more when an earlier attempt timed out because the event loop this
 * test shares with ~50 servers stalled (the retry policy itself is unit-tested in test/crawl).
 */
const attemptsFor = (kind: 'ok' | VisitErrorKind): [number, number] =>
  kind === 'not_allowed'
    ? [0, 0]
    : kind !== 'ok' && TRANSIENT_ERRORS.has(kind)
      ? [1 + RETRIES, 1 + RETRIES]
      : [1, 1 + RETRIES];

/**
 * One throwaway crawl of a small honest ring, so that module loading and JIT warm-up (seconds on a slow
 * machine) happen before the measured crawl instead of stalling it and skewing its memory baseline.
 */
async function warmUp(dir: string): Promise<void> {
  const small = await startHonestRing({ nodes: 3 });
  const p = await openPipeline(
    { db: join(dir, 'warm-up.db'), seeds: [small.honest[0]!.endpoint], timeoutMs: TIMEOUT_MS },
    { clock: systemClock() },
  );
  try {
    assert.equal((await p.pipeline.run()).reachable, 3);
  } finally {
    await p.close();
    await small.close();
  }
}

describe('hostile nodes mixed into a ring, crawled by the real pipeline', () => {
  let ring: MixedRing;
  let open: OpenPipeline;
  let dir = '';
  let summary: CrawlSummary;
  let memory: MemoryReport;
  const connects: string[] = [];
  const onConnect = (m: unknown): void => {
    connects.push(String((m as { connectParams?: { hostname?: string } }).connectParams?.hostname));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-hostile-'));
    await warmUp(dir);
    ring = await startMixedRing({ nodes: NODES, cert: selfSignedCert() });
    open = await openPipeline(
      { db: join(dir, 'ringwatch.db'), seeds: ring.seeds, timeoutMs: TIMEOUT_MS },
      { clock: systemClock() },
    );
    subscribe('undici:client:beforeConnect', onConnect);
    const measured = await measureMemory(() => open.pipeline.run());
    summary = measured.result;
    memory = measured.report;
  });

  after(async () => {
    unsubscribe('undici:client:beforeConnect', onConnect);
    await open?.close();
    await ring?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const latestOf = async (key: string) => {
    const latest = await open.store.nodeLatest(key);
    assert.ok(latest?.observation, `${key}: stored and observed in the crawl`);
    return { ...latest, observation: latest.observation };
  };

  test('the crawl succeeds, sees every endpoint once and ends within the timeout budget', () => {
    const c = ring.corpus;
    assert.equal(summary.state, 'succeeded', summary.reason);
    assert.deepEqual(open.allow, ['127.0.0.0/8', '::1/128'], 'the allow-list defaults to the seed network');
    const expected = NODES + c.cases.length + c.ghosts.length + MAX_CONNECTIONS;
    assert.equal(summary.discovered, expected, 'honest + cases + ghosts + followed amplifier connections');
    for (const h of ring.honest) {
      const n = h.server.stats.requests;
      assert.ok(n >= 1 && n <= 1 + RETRIES, `honest ${h.index}: ${n} requests`);
    }
    const visitBudget = (1 + RETRIES) * (TIMEOUT_MS + SLACK_MS) + BACKOFF_MAX;
    assert.ok(summary.durationMs < visitBudget + 5000, `crawl took ${summary.durationMs} ms`);
  });

  test('every hostile case gets its error kind, attempts and HTTP status in the store', async () => {
    for (const c of ring.corpus.cases) {
      const latest = await latestOf(c.id);
      const obs = latest.observation;
      const what = `${c.name}: ${JSON.stringify(latest.lastError)} attempts ${obs.attempts}`;
      if (c.name === 'deep-nesting') assert.match(latest.lastError?.detail ?? '', /nested deeper than/);
      if (c.expect.visit === 'ok') {
        assert.equal(latest.lastError, null, what);
        assert.notEqual(latest.state, 'unreachable', what);
      } else {
        assert.equal(latest.state, 'unreachable', what);
        assert.equal(latest.lastError?.kind, c.expect.visit, what);
        assert.equal(obs.error, c.expect.visit, what);
        assert.equal(obs.httpStatus, c.expect.httpStatus ?? null, what);
        assert.ok(latest.lastError.detail.length <= 200, what);
      }
      const [least, most] = attemptsFor(c.expect.visit);
      assert.ok(obs.attempts >= least && obs.attempts <= most, what);
      // An attempt that spends its whole budget queued sends nothing: at most one request per attempt.
      if (c.server)
        assert.ok(c.server.stats.requests <= obs.attempts, `${c.name}: ≤ one request per attempt`);
    }
  });

  test('visits stay inside their budget: timeouts use it, nothing hangs past it', async () => {
    for (const c of ring.corpus.cases) {
      const obs = (await latestOf(c.id)).observation;
      const bound = obs.attempts * (TIMEOUT_MS + SLACK_MS) + BACKOFF_MAX;
      assert.ok(obs.visitMs <= bound, `${c.name}: ${obs.visitMs} ms > ${bound} ms`);
      if (c.expect.visit === 'timeout')
        assert.ok(obs.visitMs >= obs.attempts * TIMEOUT_MS - 5, `${c.name}: ${obs.visitMs} ms`);
    }
  });

  test('the summary counts exactly the expected error kinds', () => {
    const want: Partial<Record<VisitErrorKind, number>> = {};
    const bump = (k: VisitErrorKind, n: number): void => {
      if (n > 0) want[k] = (want[k] ?? 0) + n;
    };
    for (const c of ring.corpus.cases) if (c.expect.visit !== 'ok') bump(c.expect.visit, 1);
    bump('refused', ring.corpus.ghosts.length);
    // The amplifier's children share one origin, which the fetcher serves over one connection at a time,
    // so some may spend their budget queued: each ends http_status (its real answer, 404) or timeout.
    const queued = (summary.errors.timeout ?? 0) - (want.timeout ?? 0);
    assert.ok(queued >= 0 && queued <= MAX_CONNECTIONS, `${queued} amplifier children timed out`);
    bump('timeout', queued);
    bump('http_status', MAX_CONNECTIONS - queued);
    assert.deepEqual(summary.errors, want);
    assert.equal(summary.reachable, NODES + ring.corpus.cases.filter((c) => c.expect.visit === 'ok').length);
  });

  test('no packet leaves 127.0.0.0/8: outside endpoints are not_allowed with 0 attempts', async () => {
    assert.ok(connects.length > NODES, 'control: connections are observed');
    const hosts = [...new Set(connects)].sort();
    assert.ok(
      hosts.every((h) => /^127\.\d+\.\d+\.\d+$/.test(h)),
      `every connection went to loopback: ${hosts.join(', ')}`,
    );
    const outside = ring.corpus.cases.filter((c) => c.group === 'allow-list');
    assert.ok(outside.length >= 6);
    for (const c of outside) {
      const latest = await latestOf(c.id);
      assert.equal(latest.lastError?.kind, 'not_allowed', c.name);
      assert.equal(latest.observation.attempts, 0, c.name);
    }
    assert.equal(ring.corpus.decoyHits(), 0, 'the 302 target was never requested');
  });

  test('caps: 100 MB answers are cut near the 1 MiB cap, connections followed up to 256', () => {
    const streamed = ['huge-body-100mb', 'huge-declared-100mb', 'million-connections', 'million-neighbours'];
    for (const name of streamed) {
      const stats = ring.corpus.get(name).server!.stats;
      assert.ok(stats.requests >= 1 && stats.requests <= 1 + RETRIES, `${name}: ${stats.requests} requests`);
      const perRequest = stats.bytesWritten / stats.requests;
      assert.ok(perRequest < STREAM_BOUND, `${name}: ${perRequest} bytes handed over per request`);
    }
    const amp = ring.corpus.amplifier;
    assert.equal(amp.children.length, AMPLIFIER_CONNECTIONS);
    assert.ok(amp.visitedChildren().length > 0, 'control: children were requested');
    assert.ok(
      amp.visitedChildren().every((i) => i < MAX_CONNECTIONS),
      'only the first 256 are requested',
    );
    assert.ok(amp.childHits() <= MAX_CONNECTIONS * (1 + RETRIES));
  });

  test('the amplifier: its first 256 connections are visited, the other 3840 never', async () => {
    const { children } = ring.corpus.amplifier;
    const never = [MAX_CONNECTIONS, MAX_CONNECTIONS + 1, 1000, 2048, AMPLIFIER_CONNECTIONS - 1];
    for (const i of [...Array.from({ length: MAX_CONNECTIONS }, (_, k) => k), ...never]) {
      const latest = await open.store.nodeLatest(children[i]!.id);
      if (i >= MAX_CONNECTIONS) {
        // Known only as a peer of the amplifier's stored connections: never visited, never observed.
        assert.equal(latest?.observation ?? null, null, `child ${i} was not observed`);
        assert.equal(latest?.lastError ?? null, null, `child ${i} has no visit`);
        continue;
      }
      // The children share one origin, served one connection at a time: a child that spent its budget
      // queued is a timeout (after all its attempts); the others got their real answer, 404.
      const kind = latest?.lastError?.kind;
      assert.ok(kind === 'http_status' || kind === 'timeout', `child ${i}: ${kind}`);
    }
  });

  test('hostile findings: live intruders, identity thieves and a rogue ring', async () => {
    const kinds = async (key: string): Promise<Set<FindingKind>> =>
      new Set((await open.store.findingsForNode(key)).filter((f) => f.toCrawl === null).map((f) => f.kind));
    const withFindings = ring.corpus.cases.filter((c) => c.expect.findings);
    assert.ok(withFindings.length >= 6);
    for (const c of withFindings) {
      const got = await kinds(c.id);
      for (const k of c.expect.findings!) assert.ok(got.has(k), `${c.name}: ${k} in ${[...got].join(',')}`);
    }
    for (const [name, victim] of [
      ['impersonator', ring.impersonated],
      ['replayer', ring.replayed],
    ] as const) {
      const got = await kinds(victim.id);
      for (const k of ring.corpus.get(name).expect.victimFindings!)
        assert.ok(got.has(k), `${name} → victim: ${k}`);
      assert.ok(summary.duplicateIds.includes(victim.id), `${name}: duplicate_id signal for the victim`);
      assert.equal((await latestOf(victim.id)).state, 'ok', `${name}: the victim itself is still ok`);
    }
    assert.equal(summary.rings, 2, 'the rogue pair is a ring of its own');
    assert.equal(summary.mainRingSize, NODES, 'the honest ring is the main ring');
    assert.equal(summary.ringSplit, true);
    for (const g of ring.corpus.ghosts) assert.equal((await latestOf(g.id)).lastError?.kind, 'refused');
  });

  test('honest nodes: all reachable, consistent except where hostile neighbours make them wrong', async (t) => {
    const live = [
      ...ring.honest.map((h) => h.id),
      ...ring.corpus.cases.filter((c) => c.expect.visit === 'ok').map((c) => c.id),
    ].sort();
    const flagged: number[] = [];
    for (const h of ring.honest) {
      const latest = await latestOf(h.id);
      assert.ok(latest.present, `honest ${h.index} present`);
      assert.equal(latest.lastError, null, `honest ${h.index}`);
      const faults = expectedSlotFaults(h.id, h.view, live);
      const want = Object.keys(faults).length > 0 ? 'inconsistent' : 'ok';
      if (want === 'inconsistent') flagged.push(h.index);
      assert.equal(latest.state, want, `honest ${h.index}: ${JSON.stringify(faults)}`);
      if (want === 'ok')
        assert.equal(latest.observation.score, 1, `honest ${h.index}: all mirror checks hold`);
      const findings = (await open.store.findingsForNode(h.id)).filter((f) => f.toCrawl === null);
      const slotFindings: Record<string, FindingKind> = {};
      for (const f of findings) if (f.slot && f.kind !== 'asymmetric') slotFindings[f.slot] = f.kind;
      assert.deepEqual(slotFindings, faults, `honest ${h.index}: slot findings`);
      const victim = h === ring.impersonated || h === ring.replayed;
      for (const f of findings.filter((x) => !x.slot))
        assert.ok(victim && f.kind === 'duplicate_id', `honest ${h.index}: unexpected ${f.kind}`);
    }
    // Two on each side of the live intruders' place in the ID order (after the last honest node), and
    // the ring member's four neighbours: honest 0, 1, 9, 10, 11, 12, 28, 29.
    t.diagnostic(`inconsistent honest nodes: ${flagged.join(', ')}`);
    assert.equal(flagged.length, 8, `flagged: ${flagged.join(', ')}`);
  });

  test('a second crawl, from the known endpoints too, classifies every case the same', async () => {
    const second = await open.pipeline.run();
    assert.equal(second.state, 'succeeded', second.reason);
    assert.equal(second.discovered, summary.discovered);
    assert.equal(second.reachable, summary.reachable);
    assert.equal(second.rings, 2);
    for (const c of ring.corpus.cases) {
      const latest = await latestOf(c.id);
      assert.equal(latest.observation.crawlId, second.crawlId, c.name);
      assert.equal(latest.lastError?.kind ?? 'ok', c.expect.visit, c.name);
    }
  });

  test(`memory stays under +${MEMORY_BOUND / MIB} MiB while crawling the 100 MB and amplification cases`, (t) => {
    t.diagnostic(memory.text);
    assert.ok(memory.samples > 10, 'control: memory was sampled during the crawl');
    assert.ok(memory.peakRss - memory.baseRss < MEMORY_BOUND, memory.text);
    assert.ok(memory.peakHeap - memory.baseHeap < MEMORY_BOUND, memory.text);
  });
});

describe('an unbounded fan-out is stopped by maxNodes', () => {
  const MAX_NODES = 300;
  const WIDTH = 20; // 1 + 20 + 400 tree nodes within two levels: more than the budget leaves

  test('the crawl visits exactly maxNodes endpoints; every honest (known) node is among them', async (t) => {
    const fan = await startFanOut(WIDTH);
    t.after(() => fan.close());
    const ring = await startHonestRing({
      nodes: 10,
      refer: (i) => (i === 0 ? { connections: [fan.root] } : {}),
    });
    t.after(() => ring.close());
    const dir = mkdtempSync(join(tmpdir(), 'rw-hostile-fan-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // Seeded with every honest endpoint, as the known endpoints of a previous crawl would be: seeds are
    // accepted first, so a fan-out reached through the ring cannot crowd them out of the maxNodes budget.
    const open = await openPipeline(
      {
        db: join(dir, 'ringwatch.db'),
        seeds: ring.honest.map((h) => h.endpoint),
        timeoutMs: TIMEOUT_MS,
        maxNodes: MAX_NODES,
      },
      { clock: systemClock() },
    );
    t.after(() => open.close());
    const { result: summary, report } = await measureMemory(() => open.pipeline.run());
    t.diagnostic(
      `${report.text}; timings ${JSON.stringify(summary.timings)} errors ${JSON.stringify(summary.errors)}`,
    );
    assert.equal(summary.state, 'succeeded');
    assert.equal(summary.discovered, MAX_NODES);
    for (const h of ring.honest) {
      const latest = await open.store.nodeLatest(h.id);
      assert.equal(latest?.lastError, null, `honest ${h.index}`);
      assert.notEqual(latest?.state, 'unreachable', `honest ${h.index}`);
    }
    // Tree nodes that spent their budget queued for their origin's connection were never requested.
    const tree = MAX_NODES - ring.honest.length;
    assert.ok(fan.visited() <= tree, `${fan.visited()} tree nodes requested`);
    assert.ok(fan.requests() <= tree * (1 + RETRIES));
  });
});
