/** Detector signals as intervals: recordSignals follows the signal contract; the reads page and filter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Signal } from '../../server/detect/index.js';
import { openFixture } from './helpers.js';

const X = 'a'.repeat(40);
const Y = 'b'.repeat(40);

const persistent = (nodeId: string, active: boolean, since = 1000): Signal => ({
  detector: 'persistent_inconsistency',
  kind: 'persistent_inconsistency',
  nodeId,
  active,
  since,
  value: 3,
  detail: active ? 'inconsistent in 3 consecutive crawls' : 'consistent again',
});
const loss = (active: boolean): Signal => ({
  detector: 'node_loss',
  kind: 'nonlinear_loss',
  active,
  since: 2000,
  value: 12,
  detail: '12 nodes lost',
});
const stall = (nodeId: string, thread: string, active: boolean): Signal => ({
  detector: 'thread_stalled',
  kind: 'thread_stalled',
  nodeId,
  thread,
  active,
  since: 3000,
  value: 9.5,
  detail: `thread ${thread} stalled`,
});

void test('recordSignals: open on first active, nothing on re-return, close on clear', async (t) => {
  const { store, db, clock } = await openFixture(t);
  const crawl = async () => {
    clock.advance(60_000);
    return store.beginCrawl({ strategy: 'parallel' });
  };
  const count = async () => (await db.get<{ n: number }>('SELECT count(*) AS n FROM signals'))!.n;

  const c1 = await crawl();
  assert.deepEqual(await store.recordSignals(c1, [persistent(X, true), loss(true)]), {
    opened: 2,
    closed: 0,
  });
  const c2 = await crawl();
  assert.deepEqual(await store.recordSignals(c2, [persistent(X, true), loss(true)]), {
    opened: 0,
    closed: 0,
  });
  assert.equal(await count(), 2, 'a re-returned active signal writes nothing');
  const active = await store.activeSignals();
  assert.deepEqual(
    active.map((s) => [s.kind, s.nodeId, s.fromCrawl, s.toCrawl, s.active, s.since, s.value]),
    [
      ['persistent_inconsistency', X, c1, null, true, 1000, 3],
      ['nonlinear_loss', null, c1, null, true, 2000, 12],
    ],
  );
  assert.equal(active[0]!.detail, 'inconsistent in 3 consecutive crawls');

  const c3 = await crawl();
  assert.deepEqual(await store.recordSignals(c3, [persistent(X, false), loss(true), stall(Y, 'dht', true)]), {
    opened: 1,
    closed: 1,
  });
  const x = await store.signalsForNode(X);
  assert.deepEqual(
    x.map((s) => [s.fromCrawl, s.toCrawl, s.active]),
    [[c1, c3, false]],
  );
  // A clear of something never stored, and a repeated clear, change nothing.
  const c4 = await crawl();
  assert.deepEqual(await store.recordSignals(c4, [persistent(X, false), persistent(Y, false)]), {
    opened: 0,
    closed: 0,
  });

  // The detectors that ran return their complete active set: node_loss's open signal that it did not
  // return is closed; thread_stalled did not run, so its signal stays.
  const c5 = await crawl();
  assert.deepEqual(await store.recordSignals(c5, [], { detectors: ['node_loss'] }), { opened: 0, closed: 1 });
  assert.deepEqual(
    (await store.activeSignals()).map((s) => [s.kind, s.nodeId, s.thread]),
    [['thread_stalled', Y, 'dht']],
  );

  // Raised again later: a new interval. The same identity with another start: the old one ends.
  const c6 = await crawl();
  await store.recordSignals(c6, [persistent(X, true, 5000), stall(Y, 'dht', true), stall(Y, 'io', true)]);
  const c7 = await crawl();
  assert.deepEqual(await store.recordSignals(c7, [persistent(X, true, 7000), stall(Y, 'dht', true)]), {
    opened: 1,
    closed: 1,
  });
  assert.deepEqual(
    (await store.signalsForNode(X)).map((s) => [s.fromCrawl, s.toCrawl, s.since]),
    [
      [c7, null, 7000],
      [c6, c7, 5000],
      [c1, c3, 1000],
    ],
  );
  assert.equal((await store.signalsForNode(X, { limit: 1 })).length, 1);
  assert.deepEqual(await store.signalsForNode('c'.repeat(40)), []);

  // History: newest first, filters, pages.
  const all = await store.signalHistory();
  assert.deepEqual(
    all.map((s) => s.id),
    [...all.map((s) => s.id)].sort((a, b) => b - a),
  );
  assert.equal(all.length, await count());
  const pages: number[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await store.signalHistory({ limit: 2, ...(before ? { before } : {}) });
    if (page.length === 0) break;
    pages.push(...page.map((s) => s.id));
    before = page[page.length - 1]!.id;
  }
  assert.deepEqual(
    pages,
    all.map((s) => s.id),
  );
  assert.deepEqual(
    (await store.signalHistory({ kind: 'thread_stalled' })).map((s) => s.thread),
    ['io', 'dht'],
  );
  assert.deepEqual(
    (await store.signalHistory({ node: X, active: false })).map((s) => s.fromCrawl),
    [c6, c1],
  );
  assert.equal((await store.signalHistory({ active: true })).length, (await store.activeSignals()).length);
  // sinceMs: what still held at or after a time (active, or cleared by a crawl that started later).
  const c3Start = (await store.getCrawl(c3))!.startedAt;
  const first = (s: { fromCrawl: number; kind: string }) =>
    s.fromCrawl === c1 && s.kind === 'persistent_inconsistency';
  assert.ok((await store.signalHistory({ sinceMs: c3Start - 1 })).some(first), 'held until c3 started');
  assert.ok(!(await store.signalHistory({ sinceMs: c3Start })).some(first), 'cleared when c3 started');
  assert.ok((await store.signalHistory({ sinceMs: c3Start })).some((s) => s.kind === 'nonlinear_loss'));
});

void test('recordSignals inside a rolled back transaction leaves nothing', async (t) => {
  const { store, clock } = await openFixture(t);
  clock.advance(1000);
  const c1 = await store.beginCrawl({ strategy: 'parallel' });
  await assert.rejects(
    store.transaction(async () => {
      await store.recordSignals(c1, [persistent(X, true)]);
      throw new Error('detector failed');
    }),
    /detector failed/,
  );
  assert.deepEqual(await store.activeSignals(), []);
});
