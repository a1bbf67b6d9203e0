/** The generic crawl engine on an in-memory graph: dedupe, bounded concurrency, caps, progress, abort. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { manualClock, systemClock } from '../../server/core/clock.js';
import type { CrawlProgress } from '../../server/core/model.js';
import { MAX_CRAWL_TARGETS, runCrawl } from '../../server/crawl/index.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A graph crawl where node n links to `edges(n)`; results are node numbers, odd ones "failed". */
function graphCrawl(
  edges: (n: number) => number[],
  extra: Partial<Parameters<typeof runCrawl<number, number>>[0]> = {},
) {
  const visits: number[] = [];
  let inFlight = 0;
  let peak = 0;
  const promise = runCrawl<number, number>({
    seeds: [0],
    key: (n) => String(n),
    concurrency: 4,
    clock: systemClock(),
    isOk: (n) => n % 2 === 0,
    visit: async (n) => {
      visits.push(n);
      peak = Math.max(peak, ++inFlight);
      await tick();
      inFlight--;
      return { result: n, next: edges(n) };
    },
    ...extra,
  });
  return { promise, visits, peak: () => peak };
}

void test('every reachable target is visited exactly once, at most `concurrency` at a time', async () => {
  const c = graphCrawl((n) => [(n * 7 + 1) % 100, (n * 13 + 5) % 100, (n + 1) % 100]);
  const r = await c.promise;
  assert.equal(r.state, 'completed');
  assert.equal(new Set(c.visits).size, c.visits.length);
  assert.equal(c.visits.length, 100);
  assert.equal(r.results.length, 100);
  assert.equal(r.visited, 100);
  assert.ok(c.peak() <= 4 && c.peak() >= 2, `peak ${c.peak()}`);
});

void test('property: visits = distinct keys reachable from the seeds, each once', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.nat({ max: 30 }), { maxLength: 4 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 8 }),
      async (adj, concurrency) => {
        const edges = (n: number): number[] => adj[n % adj.length] ?? [];
        const reach = new Set<number>([0]);
        const todo = [0];
        for (let n = todo.pop(); n !== undefined; n = todo.pop())
          for (const m of edges(n)) {
            if (reach.has(m)) continue;
            reach.add(m);
            todo.push(m);
          }
        const c = graphCrawl(edges, { concurrency });
        await c.promise;
        assert.deepEqual(
          [...c.visits].sort((a, b) => a - b),
          [...reach].sort((a, b) => a - b),
        );
        assert.ok(c.peak() <= concurrency);
      },
    ),
    { numRuns: 60 },
  );
});

void test('maxTargets caps the crawl however much a handler returns', async () => {
  const c = graphCrawl((n) => Array.from({ length: 4096 }, (_, i) => n * 4096 + i + 1), { maxTargets: 50 });
  const r = await c.promise;
  assert.equal(c.visits.length, 50);
  assert.ok(r.dropped > 0);
  assert.equal(MAX_CRAWL_TARGETS, 1_000_000);
});

void test('a visit without a result is counted as visited but not recorded', async () => {
  const r = await runCrawl<number, string>({
    seeds: [1, 2, 3],
    key: String,
    concurrency: 2,
    clock: systemClock(),
    isOk: () => true,
    visit: (n) => Promise.resolve(n === 2 ? { next: [] } : { result: `r${n}`, next: [] }),
  });
  assert.deepEqual(r.results.sort(), ['r1', 'r3']);
  assert.equal(r.visited, 3);
});

void test('progress is throttled on the injected clock and ends with a final event', async () => {
  const clock = manualClock();
  const events: CrawlProgress[] = [];
  const gates: (() => void)[] = [];
  const promise = runCrawl<number, number>({
    seeds: [0],
    key: String,
    concurrency: 3,
    clock,
    isOk: (n) => n % 2 === 0,
    onProgress: (p) => events.push(p),
    visit: (n) =>
      new Promise((resolve) => gates.push(() => resolve({ result: n, next: n < 9 ? [n + 1, n + 2] : [] }))),
  });
  let rounds = 0;
  while (gates.length > 0 || rounds === 0) {
    for (const open of gates.splice(0)) open();
    await tick();
    if (++rounds % 3 === 0) clock.advance(100);
  }
  const r = await promise;
  assert.equal(r.results.length, 11);
  assert.ok(events.length >= 2 && events.length < rounds, `${events.length} events for ${rounds} rounds`);
  assert.deepEqual(events.at(-1), { visited: 11, queued: 0, inFlight: 0, ok: 6, failed: 5 });
  assert.equal(clock.pending(), 0, 'no timer left behind');
});

void test('abort stops the crawl with what was done so far; in-flight results are dropped', async () => {
  const ac = new AbortController();
  let signals = 0;
  const r = await runCrawl<number, number>({
    seeds: [0],
    key: String,
    concurrency: 2,
    clock: systemClock(),
    signal: ac.signal,
    isOk: () => true,
    visit: (n, signal) =>
      new Promise((resolve) => {
        if (n === 5) ac.abort(new Error('operator'));
        signal.addEventListener('abort', () => signals++);
        setImmediate(() => resolve({ result: n, next: [n + 1, n + 2] }));
      }),
  });
  assert.equal(r.state, 'aborted');
  assert.ok(r.results.length >= 3 && r.results.length < 10, `${r.results.length}`);
  assert.ok(!r.results.includes(5), 'the visit in flight at abort time is not recorded');
  assert.ok(signals >= 1, 'visits in flight saw the abort');
  const pre = new AbortController();
  pre.abort();
  const none = await runCrawl<number, number>({
    seeds: [0],
    key: String,
    concurrency: 1,
    clock: systemClock(),
    signal: pre.signal,
    isOk: () => true,
    visit: () => assert.fail('no visit after an abort'),
  });
  assert.deepEqual(none, { state: 'aborted', results: [], visited: 0, dropped: 0 });
});

void test('a throwing handler rejects the crawl after in-flight visits settle', async () => {
  await assert.rejects(
    runCrawl<number, number>({
      seeds: [0, 1, 2],
      key: String,
      concurrency: 3,
      clock: systemClock(),
      isOk: () => true,
      visit: async (n) => {
        await tick();
        if (n === 1) throw new Error('handler bug');
        return { result: n, next: [n + 3] };
      },
    }),
    /handler bug/,
  );
  await assert.rejects(
    runCrawl({
      seeds: [],
      key: String,
      concurrency: 0,
      clock: systemClock(),
      isOk: () => true,
      visit: () => Promise.resolve({ next: [] }),
    }),
    /concurrency/,
  );
});
