/**
 * The notifier with scripted channels: per-channel isolation, order, the backoff schedule (on a fake
 * sleep), final and non-retryable failures, the clock-driven send timeout, the records in SQLite, the
 * test action, the queue bound and close().
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { backoffDelay, createNotifier } from '../../server/alert/notifier.js';
import type { NotifierOptions, RecordingNotifier } from '../../server/alert/notifier.js';
import type { Channel, ChannelKind, Notification } from '../../server/alert/types.js';
import { ChannelError } from '../../server/alert/types.js';
import { manualClock } from '../../server/core/clock.js';
import type { ManualClock } from '../../server/core/clock.js';
import { makeNotification, tempDatabase } from './receivers.js';

type Outcome = 'ok' | ChannelError | Error | 'block';

/** A channel whose n-th send does what `script(n)` says; blocked sends wait for release(). */
interface FakeChannel extends Channel {
  sent: Notification[];
  calls: number;
  closed: boolean;
  release(): void;
  /** Resolves when send has been called `count` times. */
  called(count: number): Promise<void>;
}

function fakeChannel(
  name: string,
  script: (n: number) => Outcome = () => 'ok',
  kind: ChannelKind = 'webhook',
) {
  const blocked: (() => void)[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const ch: FakeChannel = {
    name,
    kind,
    sent: [],
    calls: 0,
    closed: false,
    release() {
      for (const b of blocked.splice(0)) b();
    },
    called(count) {
      if (ch.calls >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async send(n) {
      const outcome = script(ch.calls++);
      for (const w of waiters.filter((x) => ch.calls >= x.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (outcome === 'block') await new Promise<void>((resolve) => blocked.push(resolve));
      else if (outcome !== 'ok') throw outcome;
      ch.sent.push(n);
    },
    close() {
      ch.closed = true;
      return Promise.resolve();
    },
  };
  return ch;
}

const retryable = () => new ChannelError('http_status', 'receiver answered HTTP 503', true);
const final = () => new ChannelError('http_status', 'receiver answered HTTP 400', false);

async function setup(
  t: TestContext,
  channels: Channel[],
  opts: NotifierOptions = {},
  extra: { random?: () => number; realSleep?: boolean } = {},
): Promise<{ notifier: RecordingNotifier; clock: ManualClock; delays: number[] }> {
  const clock = manualClock();
  const db = await tempDatabase(t, clock);
  const delays: number[] = [];
  const notifier = createNotifier(
    {
      db,
      clock,
      ...(extra.realSleep ? {} : { sleep: (ms: number) => (delays.push(ms), Promise.resolve()) }),
      ...(extra.random ? { random: extra.random } : {}),
    },
    channels,
    opts,
  );
  t.after(() => notifier.close());
  return { notifier, clock, delays };
}

const group = (key: string) => makeNotification({ groupKey: key });

describe('notifier', () => {
  test('notify returns at once; a blocked channel does not delay the others', async (t) => {
    const slow = fakeChannel('slow', () => 'block');
    const fast = fakeChannel('fast');
    const { notifier } = await setup(t, [slow, fast]);
    assert.equal(notifier.notify(group('a')), undefined);
    notifier.notify(group('b'));
    assert.equal(slow.calls + fast.calls, 0, 'nothing is sent synchronously');
    await fast.called(2);
    await slow.called(1);
    assert.deepEqual(
      fast.sent.map((n) => n.groupKey),
      ['a', 'b'],
    );
    assert.equal(slow.sent.length, 0);
    assert.equal(slow.calls, 1, 'the second notification waits behind the first in its own lane only');
    let idle = false;
    const settled = notifier.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(idle, false, 'idle() waits for the blocked lane');
    slow.release();
    await slow.called(2);
    slow.release();
    await settled;
    assert.deepEqual(
      slow.sent.map((n) => n.groupKey),
      ['a', 'b'],
    );
  });

  test('backoff: exponential from the base, capped, with jitter from the injected source', async (t) => {
    const failing = fakeChannel('f', () => retryable());
    const { notifier, delays } = await setup(
      t,
      [failing],
      { maxAttempts: 6, backoffBaseMs: 1000, backoffMaxMs: 5000 },
      { random: () => 0 },
    );
    notifier.notify(group('a'));
    await notifier.idle();
    assert.equal(failing.calls, 6);
    assert.deepEqual(delays, [500, 1000, 2000, 2500, 2500]);
    const [row] = await notifier.deliveries({ limit: 1 });
    assert.equal(row!.state, 'failed');
    assert.equal(row!.attempts, 6);
    assert.equal(row!.lastError, 'http_status: receiver answered HTTP 503');
  });

  test('backoffDelay stays within [raw/2, raw] for any jitter value', () => {
    const opts = { backoffBaseMs: 1000, backoffMaxMs: 60_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((k) => backoffDelay(k, opts, () => 0.999999)),
      [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000],
    );
    for (let k = 1; k <= 10; k++) {
      const raw = Math.min(60_000, 1000 * 2 ** (k - 1));
      const d = backoffDelay(k, opts, Math.random);
      assert.ok(d >= raw / 2 && d <= raw, `attempt ${k}: ${d}`);
    }
  });

  test('retries until success and records every attempt of the series', async (t) => {
    const flaky = fakeChannel('flaky', (n) => (n < 2 ? retryable() : 'ok'));
    const { notifier, clock, delays } = await setup(t, [flaky], {}, { random: () => 1 });
    notifier.notify(group('a'));
    await notifier.idle();
    assert.deepEqual(delays, [1000, 2000]);
    const [row] = await notifier.deliveries({ limit: 5 });
    assert.deepEqual(row, {
      id: row!.id,
      channel: 'flaky',
      groupKey: 'a',
      status: 'firing',
      fingerprints: ['fp-n1', 'fp-n2'],
      state: 'sent',
      attempts: 3,
      lastError: 'http_status: receiver answered HTTP 503',
      test: false,
      createdAt: clock.now(),
      sentAt: clock.now(),
    });
  });

  test('a non-retryable error, or any other exception, fails at once', async (t) => {
    const refusing = fakeChannel('refusing', () => final());
    const broken = fakeChannel('broken', () => new TypeError('bug in channel'));
    const { notifier, delays } = await setup(t, [refusing, broken]);
    notifier.notify(group('a'));
    await notifier.idle();
    assert.deepEqual(delays, []);
    const rows = await notifier.deliveries({ limit: 5 });
    assert.deepEqual(rows.map((r) => [r.channel, r.state, r.attempts, r.lastError]).sort(), [
      ['broken', 'failed', 1, 'other: bug in channel'],
      ['refusing', 'failed', 1, 'http_status: receiver answered HTTP 400'],
    ]);
  });

  test('a send that never settles is cut off after timeoutMs on the clock and retried', async (t) => {
    const hanging = fakeChannel('h', (n) => (n === 0 ? 'block' : 'ok'));
    const { notifier, clock } = await setup(t, [hanging], { timeoutMs: 2000 });
    notifier.notify(group('a'));
    await hanging.called(1);
    clock.advance(1999);
    await new Promise((r) => setImmediate(r));
    assert.equal(hanging.calls, 1);
    clock.advance(1);
    await notifier.idle();
    assert.equal(hanging.calls, 2);
    const [row] = await notifier.deliveries({ limit: 1 });
    assert.equal(row!.state, 'sent');
    assert.equal(row!.lastError, 'timeout: no answer within 2000 ms');
    hanging.release();
  });

  test('a notify() inside a transaction that rolls back is still recorded and delivered', async (t) => {
    const ch = fakeChannel('c');
    const clock = manualClock();
    const db = await tempDatabase(t, clock);
    const notifier = createNotifier({ db, clock, sleep: () => Promise.resolve() }, [ch]);
    t.after(() => notifier.close());
    await assert.rejects(
      db.transaction(async () => {
        await db.run(`INSERT INTO notifications (channel, group_key, status, fingerprints, state, created_at)
                      VALUES ('x', 'rolled-back', 'firing', '[]', 'pending', 0)`);
        notifier.notify(group('a'));
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('engine failed');
      }),
      /engine failed/,
    );
    await notifier.idle();
    assert.equal(ch.sent.length, 1);
    const rows = await notifier.deliveries({ limit: 10 });
    assert.deepEqual(
      rows.map((r) => [r.groupKey, r.state]),
      [['a', 'sent']],
    );
  });

  test('deliveries pages newest first with an id cursor', async (t) => {
    const ch = fakeChannel('c');
    const { notifier } = await setup(t, [ch]);
    for (const k of ['a', 'b', 'c', 'd', 'e']) notifier.notify(group(k));
    await notifier.idle();
    const first = await notifier.deliveries({ limit: 2 });
    assert.deepEqual(
      first.map((d) => d.groupKey),
      ['e', 'd'],
    );
    const next = await notifier.deliveries({ limit: 2, before: first[1]!.id });
    assert.deepEqual(
      next.map((d) => d.groupKey),
      ['c', 'b'],
    );
    const last = await notifier.deliveries({ limit: 10, before: next[1]!.id });
    assert.deepEqual(
      last.map((d) => d.groupKey),
      ['a'],
    );
  });

  test('test(name) sends one fake alert marked test, records it and resolves with the outcome', async (t) => {
    const good = fakeChannel('good', () => 'ok', 'slack');
    const bad = fakeChannel('bad', () => retryable(), 'email');
    const { notifier, delays } = await setup(t, [good, bad]);
    assert.deepEqual(notifier.channels(), [
      { name: 'good', kind: 'slack' },
      { name: 'bad', kind: 'email' },
    ]);
    assert.deepEqual(await notifier.test('good'), { ok: true });
    assert.equal(good.sent.length, 1);
    const n = good.sent[0]!;
    assert.equal(n.test, true);
    assert.equal(n.status, 'firing');
    assert.equal(n.alerts.length, 1);
    assert.equal(n.alerts[0]!.labels.alertname, 'RingwatchTest');
    assert.deepEqual(await notifier.test('bad'), {
      ok: false,
      error: 'http_status: receiver answered HTTP 503',
    });
    assert.equal(bad.calls, 1, 'a test is one attempt, not retried');
    assert.deepEqual(delays, []);
    assert.deepEqual(await notifier.test('nope'), { ok: false, error: 'no channel named nope' });
    const rows = await notifier.deliveries({ limit: 5 });
    assert.deepEqual(
      rows.map((r) => [r.channel, r.state, r.test, r.groupKey]),
      [
        ['bad', 'failed', true, 'ringwatch-test'],
        ['good', 'sent', true, 'ringwatch-test'],
      ],
    );
  });

  test('a full queue drops its oldest queued notification and records it as failed', async (t) => {
    const ch = fakeChannel('c', (n) => (n === 0 ? 'block' : 'ok'));
    const { notifier } = await setup(t, [ch], { maxQueue: 2 });
    for (const k of ['a', 'b', 'c', 'd']) notifier.notify(group(k));
    await ch.called(1);
    ch.release();
    await notifier.idle();
    assert.deepEqual(
      ch.sent.map((n) => n.groupKey),
      ['a', 'c', 'd'],
    );
    const rows = await notifier.deliveries({ limit: 10 });
    const b = rows.find((r) => r.groupKey === 'b')!;
    assert.deepEqual([b.state, b.attempts, b.lastError], ['failed', 0, 'dropped: queue full']);
  });

  test('close() waits up to its timeout, then fails what is left and closes the channels', async (t) => {
    const failing = fakeChannel('f', () => retryable());
    const { notifier, clock } = await setup(
      t,
      [failing],
      { closeTimeoutMs: 500, backoffBaseMs: 10_000 },
      { realSleep: true },
    );
    notifier.notify(group('a'));
    notifier.notify(group('b'));
    await failing.called(1);
    await new Promise((r) => setImmediate(r));
    const closed = notifier.close();
    notifier.notify(group('late'));
    let done = false;
    void closed.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'close waits while a delivery backs off');
    clock.advance(500);
    await closed;
    assert.equal(failing.calls, 1);
    assert.equal(failing.closed, true);
    const rows = await notifier.deliveries({ limit: 10 });
    assert.deepEqual(
      rows.map((r) => [r.groupKey, r.state, r.lastError]),
      [
        ['b', 'failed', 'notifier closed before delivery'],
        ['a', 'failed', 'notifier closed before delivery'],
      ],
    );
    assert.deepEqual(await notifier.test('f'), { ok: false, error: 'notifier is closed' });
  });
});
