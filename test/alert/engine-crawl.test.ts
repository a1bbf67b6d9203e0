/**
 * Alerts from crawl outcomes and time: CrawlFailed, CrawlerStale, the evaluation timer, plus
 * configuration effects (disabled rules, external URL links).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../server/core/clock.js';
import { crawled, engineFixture, MINUTE, NODE_A, sig } from './engine-helpers.js';

test('CrawlFailed: pending on a failed crawl, fires after `for`, resolves on the next success', async (t) => {
  const f = await engineFixture(t);
  await f.crawl([sig('ring_split', { value: 2 })]);
  assert.equal(f.notifier.sent.length, 1);

  await f.engine.observe(crawled(2, [], 'failed', 'no seed answered'));
  const [alert] = (await f.engine.list({ state: 'active', rule: 'CrawlFailed', limit: 10 })).items;
  assert.equal(alert?.state, 'pending');
  assert.equal(alert.annotations.description, 'crawl 2 failed: no seed answered');
  assert.equal(alert.annotations.dashboard, '#/crawls');
  assert.equal(await f.engine.firingCount(), 1, 'a failed crawl does not clear the ring split');

  f.clock.advance(MINUTE);
  await f.engine.observe(crawled(3, [], 'aborted'));
  await f.engine.tick();
  assert.equal(f.notifier.of('CrawlFailed').length, 0);
  f.clock.advance(MINUTE);
  await f.engine.tick();
  assert.equal(f.notifier.of('CrawlFailed', 'firing').length, 1);
  const sent = f.notifier.of('CrawlFailed', 'firing')[0]!.alerts[0]!;
  assert.equal(sent.annotations.description, 'crawl 3 aborted');
  assert.deepEqual(sent.labels, { alertname: 'CrawlFailed', severity: 'warning' });

  await f.engine.observe(crawled(4, [], 'failed', 'again'));
  assert.equal(f.notifier.of('CrawlFailed').length, 1, 'one alert for the whole failing streak');
  await f.engine.observe(crawled(5, [sig('ring_split', { value: 2 })]));
  assert.equal(f.notifier.of('CrawlFailed', 'resolved').length, 1);
  assert.equal(f.notifier.of('RingSplit').length, 1);
});

test('CrawlerStale: fires when no crawl finished for afterMs, resolves with the next crawl, survives a restart', async (t) => {
  const f = await engineFixture(t, { rules: { CrawlerStale: { enabled: true, afterMs: 5 * MINUTE } } });
  await f.engine.tick(); // the engine starts: staleness counts from here
  f.clock.advance(5 * MINUTE - 1);
  await f.engine.tick();
  assert.equal(f.notifier.sent.length, 0);
  f.clock.advance(1);
  await f.engine.tick();
  assert.equal(f.notifier.of('CrawlerStale', 'firing').length, 1);
  const alert = f.notifier.sent[0]!.alerts[0]!;
  assert.equal(alert.labels.severity, 'critical');
  assert.match(alert.annotations.description ?? '', /no crawl has finished since 2026-01-01T00:00:00.000Z/);

  await f.crawl([]);
  assert.equal(f.notifier.of('CrawlerStale', 'resolved').length, 1);
  f.clock.advance(5 * MINUTE);
  await f.engine.tick();
  assert.equal(f.notifier.of('CrawlerStale', 'firing').length, 2, 'stale again 5 min after that crawl');

  // A restart while stale: still firing (no crawl finished since), not sent again.
  const r = await f.restart();
  await r.engine.tick();
  f.clock.advance(MINUTE);
  await r.engine.tick();
  assert.equal(r.notifier.sent.length, 0);
  assert.equal(await r.engine.firingCount(), 1);
  await r.engine.observe(crawled(9, []));
  assert.equal(r.notifier.of('CrawlerStale', 'resolved').length, 1);
});

test('start() arms the evaluation timer on the injected clock; stop() disarms it', async (t) => {
  const clock = manualClock();
  const f = await engineFixture(
    t,
    { evaluationIntervalMs: 10_000, rules: { CrawlerStale: { enabled: true, afterMs: 60_000 } } },
    clock,
  );
  await f.engine.start();
  assert.equal(clock.pending(), 1);
  for (let i = 0; i < 6; i++) {
    clock.advance(10_000);
    await f.engine.firingCount(); // waits for the tick the timer queued
    await new Promise((r) => setImmediate(r)); // and for the timer to be armed again
  }
  assert.equal(f.notifier.of('CrawlerStale', 'firing').length, 1, 'the timer ticked');
  await f.engine.stop();
  assert.equal(clock.pending(), 0);
});

test('disabled rules raise nothing, and alerts of a rule disabled since are resolved at start', async (t) => {
  const f = await engineFixture(t, { rules: { DuplicateNodeId: { enabled: false } } });
  await f.crawl([
    sig('duplicate_id', { node: NODE_A }),
    sig('thread_stalled', { node: NODE_A, thread: 'timers' }),
  ]);
  assert.deepEqual(
    f.notifier.sent.map((n) => n.groupKey),
    ['ThreadStalled'],
  );
  const r = await f.restart({
    rules: { ThreadStalled: { enabled: false }, CrawlerStale: { enabled: false } },
  });
  assert.equal(await r.engine.firingCount(), 0);
  assert.equal(r.notifier.of('ThreadStalled', 'resolved').length, 1);
});

test('external URL, labels and annotation templates from configuration', async (t) => {
  const f = await engineFixture(t, {
    externalUrl: 'https://ringwatch.example/ops/',
    rules: {
      PersistentInconsistency: {
        severity: 'critical',
        labels: { team: 'overlay' },
        annotations: {
          summary: '{{ $labels.node }} off ({{ $value }}) {{ $labels.absent }}!',
          runbook: '{{ $externalUrl }}/runbook',
        },
      },
    },
  });
  await f.crawl([
    sig('persistent_inconsistency', { node: NODE_A, value: 2.345 }),
    sig('nonlinear_loss', { value: 12 }),
  ]);
  const pi = f.notifier.of('PersistentInconsistency')[0]!;
  assert.equal(pi.externalUrl, 'https://ringwatch.example/ops');
  assert.deepEqual(pi.alerts[0]!.labels, {
    alertname: 'PersistentInconsistency',
    node: NODE_A,
    severity: 'critical',
    team: 'overlay',
  });
  assert.deepEqual(pi.alerts[0]!.annotations, {
    summary: `${NODE_A} off (2.35) !`,
    description: 'persistent_inconsistency detail',
    runbook: 'https://ringwatch.example/ops/runbook',
    dashboard: `https://ringwatch.example/ops/#/nodes/${NODE_A}`,
  });
  const loss = f.notifier.of('NodeLossNonLinear')[0]!.alerts[0]!;
  assert.equal(loss.annotations.summary, 'Non-linear node loss: 12 nodes lost at once');
  assert.equal(loss.annotations.dashboard, 'https://ringwatch.example/ops/#/ring?crawl=1');
});
