/**
 * The crawl thread: crawls of a simulated ring run in a worker thread and give what the in-process
 * crawler gives; abort, a thread that dies or cannot start, close(), and an idle thread that must not
 * keep the process alive.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../../server/core/clock.js';
import type { CrawlProgress, CrawlResult } from '../../server/core/model.js';
import {
  createAllowList,
  createCrawler,
  createCrawlThread,
  createStatusFetcher,
} from '../../server/crawl/index.js';
import type { CrawlThread } from '../../server/crawl/index.js';
import { startSimulator, type Simulator } from '../../server/sim/run.js';
import { CRASH_SEED } from './fixtures/crash-seed.js';

const ALLOW = ['127.0.0.0/8'];
const FRAGILE = new URL('./fixtures/fragile-thread.ts', import.meta.url);
const BROKEN = new URL('./fixtures/broken-thread.ts', import.meta.url);
const FAILS_ONCE = new URL('./fixtures/fails-once-thread.ts', import.meta.url);
/** Ten years ahead of the system clock: shows which clock stamped a result. */
const AHEAD = 10 * 365 * 86_400_000;
const aheadClock = (): Clock => {
  const c = systemClock();
  return { ...c, now: () => c.now() + AHEAD };
};

let sim: Simulator;
/** A listener that accepts and never answers: visits to it stay in flight until aborted. */
let silent: Server;
let silentUrl: string;
const threads: CrawlThread[] = [];
const thread = (entry?: URL, clock: Clock = systemClock()): CrawlThread => {
  const t = createCrawlThread(
    { clock, ...(entry ? { entry } : {}) },
    { allow: ALLOW, timeoutMs: 5000, concurrency: 16 },
  );
  threads.push(t);
  return t;
};

before(async () => {
  sim = await startSimulator({ nodes: 40, seed: 7, latencyMs: 1, stabilizeMs: 50, bootstrap: 'converged' });
  silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
after(async () => {
  for (const t of threads) await t.close();
  silent.closeAllConnections();
  await new Promise((r) => silent.close(r));
  await sim.close();
});

const okIds = (r: CrawlResult): string[] => r.visits.flatMap((v) => (v.ok ? [v.status.nodeId] : [])).sort();

test('a crawl in the thread finds what the in-process crawler finds, stamped by the injected clock', async () => {
  const clock = systemClock();
  const fetcher = createStatusFetcher({ allow: createAllowList(ALLOW), timeoutMs: 5000 }, { clock });
  const inProcess = await createCrawler({ fetcher, clock }, { concurrency: 16 }).crawl({
    seeds: sim.seeds,
    strategy: 'parallel',
  });
  await fetcher.close();

  const progress: CrawlProgress[] = [];
  const before = Date.now() + AHEAD;
  const r = await thread(undefined, aheadClock()).crawl({
    seeds: sim.seeds,
    strategy: 'parallel',
    onProgress: (p) => progress.push(p),
  });
  assert.equal(r.state, 'succeeded');
  assert.equal(r.visits.length, 40);
  assert.deepEqual(okIds(r), okIds(inProcess));
  assert.deepEqual(r.seeds, inProcess.seeds);
  assert.ok(r.startedAt >= before && r.finishedAt >= r.startedAt, 'startedAt/finishedAt from deps.clock');
  assert.ok(progress.length >= 1, 'progress crossed the thread');
  assert.equal(progress.at(-1)?.visited, 40);
  assert.equal(progress.at(-1)?.inFlight, 0);
});

test('more visits than fit one message arrive whole, each endpoint once', async () => {
  const many = await startSimulator({
    nodes: 600,
    seed: 9,
    latencyMs: 1,
    stabilizeMs: 50,
    bootstrap: 'converged',
  });
  try {
    const t = createCrawlThread(
      { clock: systemClock() },
      { allow: ALLOW, timeoutMs: 10_000, concurrency: 64 },
    );
    threads.push(t);
    const r = await t.crawl({ seeds: many.seeds, strategy: 'parallel' });
    assert.equal(r.state, 'succeeded');
    assert.equal(new Set(r.visits.map((v) => v.endpoint)).size, 600, 'each endpoint once');
    assert.equal(okIds(r).length, 600);
  } finally {
    await many.close();
  }
});

test('the ring walk runs in the thread too', async () => {
  const r = await thread().crawl({ seeds: [sim.seeds[0]!], strategy: 'ring-walk' });
  assert.equal(r.strategy, 'ring-walk');
  assert.equal(r.state, 'succeeded');
  assert.equal(okIds(r).length, 40);
});

test('abort: the crawl ends aborted with the reason, and the thread takes the next crawl', async () => {
  const t = thread();
  const ac = new AbortController();
  const pending = t.crawl({ seeds: [silentUrl], strategy: 'parallel', signal: ac.signal });
  setTimeout(() => ac.abort(new Error('operator stop')), 300);
  const r = await pending;
  assert.equal(r.state, 'aborted');
  assert.equal(r.reason, 'aborted: operator stop');
  assert.equal(r.visits.length, 0, 'the visit in flight is dropped');

  const already = new AbortController();
  already.abort('shutting down');
  const early = await t.crawl({ seeds: sim.seeds, strategy: 'parallel', signal: already.signal });
  assert.equal(early.state, 'aborted');
  assert.equal(early.reason, 'aborted: shutting down');

  assert.equal((await t.crawl({ seeds: sim.seeds, strategy: 'parallel' })).state, 'succeeded');
});

test('an unknown strategy rejects with the crawler’s message', async () => {
  await assert.rejects(
    thread().crawl({ seeds: sim.seeds, strategy: 'spiral' as never }),
    /unknown strategy "spiral"/,
  );
});

test('a thread that dies fails the crawls in flight; the next crawl starts a new thread', async () => {
  const t = thread(FRAGILE);
  const slow = t.crawl({ seeds: [silentUrl], strategy: 'parallel' });
  const crash = t.crawl({ seeds: [CRASH_SEED], strategy: 'parallel' });
  await assert.rejects(crash, /crawl thread stopped: exited with code 7/);
  await assert.rejects(slow, /crawl thread stopped: exited with code 7/);
  const r = await t.crawl({ seeds: sim.seeds, strategy: 'parallel' });
  assert.equal(r.state, 'succeeded');
  assert.equal(okIds(r).length, 40);
});

test('a thread that cannot start rejects the crawl with the cause', async () => {
  await assert.rejects(
    thread(BROKEN).crawl({ seeds: sim.seeds, strategy: 'parallel' }),
    /crawl thread stopped: cannot start: test fixture/,
  );
});

test('a crawl started right after a thread failed runs on a new thread, untouched by the old one exiting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-thread-'));
  process.env.RINGWATCH_TEST_FAIL_ONCE = join(dir, 'failed-once');
  try {
    const t = thread(FAILS_ONCE);
    // Rejected on the first thread's 'error'; its 'exit' comes later, while the next crawl runs.
    await assert.rejects(t.crawl({ seeds: sim.seeds, strategy: 'parallel' }), /first start fails/);
    const r = await t.crawl({ seeds: sim.seeds, strategy: 'parallel' });
    assert.equal(r.state, 'succeeded');
    assert.equal(okIds(r).length, 40);
  } finally {
    delete process.env.RINGWATCH_TEST_FAIL_ONCE;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close() rejects the crawl in flight and every later one', async () => {
  const t = thread();
  const inFlight = assert.rejects(
    t.crawl({ seeds: [silentUrl], strategy: 'parallel' }),
    /crawl thread stopped: closed/,
  );
  await new Promise((r) => setTimeout(r, 300));
  await t.close();
  await inFlight;
  await assert.rejects(t.crawl({ seeds: sim.seeds, strategy: 'parallel' }), /crawl thread stopped: closed/);
  await t.close(); // idempotent
});

test('invalid options throw at creation, not in the thread', () => {
  const clock = systemClock();
  assert.throws(() => createCrawlThread({ clock }, { allow: ['300.1.2.3/8'] }), /allow-list/);
  assert.throws(() => createCrawlThread({ clock }, { allow: ALLOW, concurrency: 0 }), /concurrency/);
  assert.throws(() => createCrawlThread({ clock }, { allow: ALLOW, timeoutMs: -1 }), /timeoutMs/);
});

test('an idle thread does not keep the process alive', async () => {
  // The simulator lives in this process, so the child must run asynchronously.
  const script = `
    import { createCrawlThread } from ${JSON.stringify(new URL('../../server/crawl/index.ts', import.meta.url).href)};
    import { systemClock } from ${JSON.stringify(new URL('../../server/core/clock.ts', import.meta.url).href)};
    const t = createCrawlThread({ clock: systemClock() }, { allow: ['127.0.0.0/8'] });
    const r = await t.crawl({ seeds: [${JSON.stringify(sim.seeds[0])}], strategy: 'parallel' });
    console.log(r.state);
  `;
  const child = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(child.stdout.trim(), 'succeeded', 'the process ended by itself after the crawl');
});
