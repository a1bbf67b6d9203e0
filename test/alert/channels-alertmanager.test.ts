/**
 * The alertmanager channel against a real Prometheus Alertmanager (Debian's prometheus-alertmanager,
 * started here on a free loopback port with a null receiver, no clustering and temp storage): a firing
 * notification shows up in GET /api/v2/alerts with our labels, the resolved one ends it there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { ChannelConfigSchema, createChannel } from '../../server/alert/channels/index.js';
import type { Channel } from '../../server/alert/types.js';
import { ChannelError } from '../../server/alert/types.js';
import { systemClock } from '../../server/core/clock.js';
import { alertmanagerMissing, makeAlert, makeNotification, startAlertmanager } from './receivers.js';

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed' };
}

const missing = alertmanagerMissing();
if (missing) console.log(`# SKIP: ${missing}`);

describe('alertmanager channel', { skip: missing }, () => {
  const cleanups: (() => unknown)[] = [];
  const ctx = { after: (fn: () => unknown) => void cleanups.push(fn) };
  let url = '';
  let am: Channel;

  before(async () => {
    ({ url } = await startAlertmanager(ctx));
    am = createChannel(ChannelConfigSchema.parse({ kind: 'alertmanager', name: 'am', url: `${url}/` }), {
      clock: systemClock(),
    });
  });
  after(async () => {
    await am?.close?.();
    for (const fn of cleanups.reverse()) await fn();
  });

  async function alerts(query = ''): Promise<GettableAlert[]> {
    const res = await request(`${url}/api/v2/alerts${query}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.statusCode, 200);
    return (await res.body.json()) as GettableAlert[];
  }

  const ours = (list: GettableAlert[], run: string) => list.filter((a) => a.labels.run === run);

  test('a firing notification becomes an active alert with our labels; resolving ends it', async () => {
    const run = `r${process.pid}a`;
    const startsAt = Date.now() - 60_000;
    const firing = makeAlert({ labels: { node: 'n1', run }, startsAt, activeAt: startsAt - 1000 });
    await am.send(makeNotification({ alerts: [firing] }));

    const active = ours(await alerts('?active=true'), run);
    assert.equal(active.length, 1);
    const [got] = active;
    assert.deepEqual(got!.labels, {
      alertname: 'PersistentInconsistency',
      severity: 'warning',
      node: 'n1',
      run,
    });
    assert.equal(got!.annotations.summary, 'successor of n1 disagrees');
    assert.equal(got!.generatorURL, 'https://ringwatch.example.com/nodes/n1');
    assert.equal(Date.parse(got!.startsAt), startsAt);
    assert.equal(got!.status.state, 'active');
    assert.ok(Date.parse(got!.endsAt) > Date.now(), 'still active');

    const endsAt = Date.now() - 1000;
    const resolved = { ...firing, state: 'resolved' as const, endsAt };
    await am.send(makeNotification({ status: 'resolved', alerts: [resolved] }));

    assert.deepEqual(ours(await alerts('?active=true'), run), [], 'no longer active');
    assert.deepEqual(ours(await alerts(), run), [], 'not listed under any filter either (it ended)');
  });

  test('only the resolved alert of a group ends; the other stays active', async () => {
    const run = `r${process.pid}b`;
    const startsAt = Date.now() - 30_000;
    const a1 = makeAlert({ labels: { node: 'x1', run }, startsAt });
    const a2 = makeAlert({ labels: { node: 'x2', run }, startsAt });
    await am.send(makeNotification({ alerts: [a1, a2] }));
    assert.equal(ours(await alerts('?active=true'), run).length, 2);
    await am.send(
      makeNotification({
        status: 'resolved',
        alerts: [{ ...a1, state: 'resolved', endsAt: Date.now() - 10 }],
      }),
    );
    const left = ours(await alerts('?active=true'), run);
    assert.deepEqual(
      left.map((a) => a.labels.node),
      ['x2'],
    );
  });

  test('an invalid alert is refused with a final error naming Alertmanager’s reason', async () => {
    const bad = makeAlert({ labels: { 'not a label': 'x' } });
    try {
      await am.send(makeNotification({ alerts: [bad] }));
      assert.fail('expected a rejection');
    } catch (err) {
      assert.ok(err instanceof ChannelError);
      assert.equal(err.kind, 'http_status');
      assert.equal(err.retryable, false);
      assert.match(err.message, /HTTP 400/);
    }
  });
});
