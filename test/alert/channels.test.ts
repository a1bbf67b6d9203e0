/**
 * Webhook and Slack channels against a real HTTP sink on 127.0.0.1: the Alertmanager v4 payload, the
 * HMAC signature, the Slack text, the mapping of answers to ChannelErrors, and (through the notifier)
 * retries, final failures and the isolation of a hanging receiver.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  ChannelConfigListSchema,
  ChannelConfigSchema,
  createChannel,
  redactChannelConfig,
} from '../../server/alert/channels/index.js';
import type { ChannelConfigInput } from '../../server/alert/channels/index.js';
import { createNotifier } from '../../server/alert/notifier.js';
import type { Channel } from '../../server/alert/types.js';
import { ChannelError } from '../../server/alert/types.js';
import { manualClock } from '../../server/core/clock.js';
import type { TestContext } from 'node:test';
import { closedPort, makeAlert, makeNotification, startHttpSink, tempDatabase } from './receivers.js';

const SECRET = 'a-webhook-secret-of-some-length';

function channel(t: TestContext, config: ChannelConfigInput, clock = manualClock()): Channel {
  const c = createChannel(ChannelConfigSchema.parse(config), { clock });
  t.after(() => c.close?.());
  return c;
}

async function rejection(p: Promise<unknown>): Promise<ChannelError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ChannelError, `expected a ChannelError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the send to fail');
}

describe('webhook channel', () => {
  test('posts the Alertmanager v4 payload, signed with the secret', async (t) => {
    const sink = await startHttpSink(t);
    const clock = manualClock(Date.UTC(2026, 0, 1, 12, 5));
    const hook = channel(
      t,
      { kind: 'webhook', name: 'ops-hook', url: `${sink.url}/hook?x=1`, secret: SECRET },
      clock,
    );
    await hook.send(makeNotification());

    assert.equal(sink.requests.length, 1);
    const req = sink.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/hook?x=1');
    assert.match(String(req.headers['content-type']), /^application\/json/);

    const expected = `sha256=${createHmac('sha256', SECRET).update(req.body).digest('hex')}`;
    const got = String(req.headers['x-ringwatch-signature']);
    assert.equal(got.length, expected.length);
    assert.ok(timingSafeEqual(Buffer.from(got), Buffer.from(expected)), 'signature verifies');
    assert.equal(req.headers['x-ringwatch-timestamp'], String(Date.UTC(2026, 0, 1, 12, 5) / 1000));

    const body = JSON.parse(req.body) as Record<string, unknown>;
    assert.deepEqual(body, {
      version: '4',
      groupKey: 'PersistentInconsistency',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'ops-hook',
      groupLabels: { alertname: 'PersistentInconsistency' },
      commonLabels: { alertname: 'PersistentInconsistency', severity: 'warning' },
      commonAnnotations: {},
      externalURL: 'https://ringwatch.example.com',
      alerts: ['n1', 'n2'].map((node) => ({
        status: 'firing',
        labels: { alertname: 'PersistentInconsistency', severity: 'warning', node },
        annotations: { summary: `successor of ${node} disagrees`, dashboard: `/nodes/${node}` },
        startsAt: '2026-01-01T12:00:00.000Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: `https://ringwatch.example.com/nodes/${node}`,
        fingerprint: `fp-${node}`,
      })),
    });
  });

  test('credentials in the URL become a Basic Authorization header and stay out of errors', async (t) => {
    const sink = await startHttpSink(t, (i) => (i === 0 ? { status: 200 } : { status: 502 }));
    const hook = channel(t, {
      kind: 'webhook',
      name: 'h',
      url: sink.url.replace('//', '//rw:p%40ss@') + '/in',
    });
    await hook.send(makeNotification());
    assert.equal(
      sink.requests[0]!.headers.authorization,
      `Basic ${Buffer.from('rw:p@ss').toString('base64')}`,
    );
    assert.equal(sink.requests[0]!.path, '/in');
    const e = await rejection(hook.send(makeNotification()));
    assert.ok(!e.message.includes('p%40ss') && !e.message.includes('rw:'), e.message);
  });

  test('a tampered body no longer matches the signature', async (t) => {
    const sink = await startHttpSink(t);
    const hook = channel(t, { kind: 'webhook', name: 'h', url: sink.url, secret: SECRET });
    await hook.send(makeNotification());
    const req = sink.requests[0]!;
    const tampered = req.body.replace('"firing"', '"resolved"');
    assert.notEqual(tampered, req.body);
    const sig = `sha256=${createHmac('sha256', SECRET).update(tampered).digest('hex')}`;
    assert.notEqual(req.headers['x-ringwatch-signature'], sig);
  });

  test('resolved alerts carry their end time; no secret means no signature headers', async (t) => {
    const sink = await startHttpSink(t);
    const hook = channel(t, { kind: 'webhook', name: 'h', url: sink.url });
    const endsAt = Date.UTC(2026, 0, 1, 13, 0);
    await hook.send(
      makeNotification({
        status: 'resolved',
        alerts: [makeAlert({ state: 'resolved', endsAt })],
        externalUrl: '',
      }),
    );
    const req = sink.requests[0]!;
    assert.equal(req.headers['x-ringwatch-signature'], undefined);
    assert.equal(req.headers['x-ringwatch-timestamp'], undefined);
    const body = JSON.parse(req.body) as { status: string; alerts: Record<string, string>[] };
    assert.equal(body.status, 'resolved');
    assert.equal(body.alerts[0]!.status, 'resolved');
    assert.equal(body.alerts[0]!.endsAt, '2026-01-01T13:00:00.000Z');
    assert.equal(body.alerts[0]!.generatorURL, '', 'a relative dashboard link without a base URL is dropped');
  });

  test('5xx and 429 are retryable, other 4xx final; errors name the origin only, never path or secret', async (t) => {
    const statuses = [503, 429, 400, 404];
    const sink = await startHttpSink(t, (i) => ({ status: statuses[i]!, body: `nope ${statuses[i]}` }));
    const hook = channel(t, { kind: 'webhook', name: 'h', url: `${sink.url}/token-in-path`, secret: SECRET });
    const outcomes = [];
    for (let i = 0; i < statuses.length; i++) outcomes.push(await rejection(hook.send(makeNotification())));
    assert.deepEqual(
      outcomes.map((e) => [e.kind, e.retryable]),
      [
        ['http_status', true],
        ['http_status', true],
        ['http_status', false],
        ['http_status', false],
      ],
    );
    assert.match(outcomes[2]!.message, /HTTP 400: nope 400/);
    for (const e of outcomes) {
      assert.ok(e.message.includes(sink.url), e.message);
      assert.ok(!e.message.includes('token-in-path'), e.message);
      assert.ok(!e.message.includes(SECRET), e.message);
    }
  });

  test('a refused connection and a receiver that never answers are retryable failures', async (t) => {
    const hang = await startHttpSink(t, () => 'hang');
    const refused = channel(t, {
      kind: 'webhook',
      name: 'r',
      url: `http://127.0.0.1:${await closedPort()}/`,
    });
    const slow = channel(t, { kind: 'webhook', name: 's', url: hang.url, timeoutMs: 300 });
    const e1 = await rejection(refused.send(makeNotification()));
    assert.deepEqual([e1.kind, e1.retryable], ['refused', true]);
    const e2 = await rejection(slow.send(makeNotification()));
    assert.deepEqual([e2.kind, e2.retryable], ['timeout', true]);
    assert.equal(e2.message, `${hang.url} did not answer within 300 ms`);
    assert.equal(hang.requests.length, 1);
  });
});

describe('slack channel', () => {
  test('posts readable text: headline, one line per alert with labels and a link', async (t) => {
    const sink = await startHttpSink(t);
    const slack = channel(t, { kind: 'slack', name: 'team', url: `${sink.url}/services/T0/B0/XYZ` });
    await slack.send(makeNotification());
    const body = JSON.parse(sink.requests[0]!.body) as { text: string };
    assert.deepEqual(Object.keys(body), ['text']);
    const lines = body.text.split('\n');
    assert.equal(lines[0], '[FIRING:2] PersistentInconsistency');
    assert.equal(
      lines[1],
      '- warning node=n1: successor of n1 disagrees <https://ringwatch.example.com/nodes/n1|view in Ringwatch>',
    );
    assert.match(lines[2]!, /^- warning node=n2: .*\/nodes\/n2\|view in Ringwatch>$/);
    assert.equal(lines.length, 3);
  });

  test('escapes Slack control characters and marks a resolved group', async (t) => {
    const sink = await startHttpSink(t);
    const slack = channel(t, { kind: 'slack', name: 'team', url: sink.url });
    const alert = makeAlert({
      state: 'resolved',
      endsAt: Date.UTC(2026, 0, 1, 13),
      annotations: { summary: 'a <b> & c' },
    });
    await slack.send(makeNotification({ status: 'resolved', alerts: [alert], externalUrl: '' }));
    const { text } = JSON.parse(sink.requests[0]!.body) as { text: string };
    assert.equal(text, '[RESOLVED:1] PersistentInconsistency\n- warning node=n1: a &lt;b&gt; &amp; c');
  });

  test('the webhook URL (a secret) never appears in an error', async (t) => {
    const sink = await startHttpSink(t, () => ({ status: 404, body: 'no_team' }));
    const slack = channel(t, { kind: 'slack', name: 'team', url: `${sink.url}/services/T0/B0/SECRETPART` });
    const e = await rejection(slack.send(makeNotification()));
    assert.equal(e.retryable, false);
    assert.ok(!e.message.includes('SECRETPART'), e.message);
  });
});

describe('notifier over real HTTP receivers', () => {
  test('500 twice then 200: sent after 3 attempts, recorded', async (t) => {
    const clock = manualClock();
    const db = await tempDatabase(t, clock);
    const sink = await startHttpSink(t, (i) => (i < 2 ? { status: 500, body: 'busy' } : { status: 200 }));
    const delays: number[] = [];
    const notifier = createNotifier(
      { db, clock, sleep: (ms) => (delays.push(ms), Promise.resolve()), random: () => 0.5 },
      [channel(t, { kind: 'webhook', name: 'hook', url: sink.url })],
    );
    t.after(() => notifier.close());
    notifier.notify(makeNotification());
    await notifier.idle();
    assert.equal(sink.requests.length, 3);
    assert.deepEqual(delays, [750, 1500]);
    const [row] = await notifier.deliveries({ limit: 10 });
    assert.equal(row!.state, 'sent');
    assert.equal(row!.attempts, 3);
    assert.equal(row!.sentAt, clock.now());
    assert.equal(
      row!.lastError,
      `http_status: ${sink.url} answered HTTP 500: busy`,
      'the last failure is kept',
    );
  });

  test('400: failed at once with the reason', async (t) => {
    const clock = manualClock();
    const db = await tempDatabase(t, clock);
    const sink = await startHttpSink(t, () => ({ status: 400, body: 'invalid_payload' }));
    const delays: number[] = [];
    const notifier = createNotifier({ db, clock, sleep: (ms) => (delays.push(ms), Promise.resolve()) }, [
      channel(t, { kind: 'slack', name: 'team', url: sink.url }),
    ]);
    t.after(() => notifier.close());
    notifier.notify(makeNotification());
    await notifier.idle();
    assert.equal(sink.requests.length, 1);
    assert.deepEqual(delays, []);
    const [row] = await notifier.deliveries({ limit: 10 });
    assert.equal(row!.state, 'failed');
    assert.equal(row!.attempts, 1);
    assert.equal(row!.lastError, `http_status: ${sink.url} answered HTTP 400: invalid_payload`);
  });

  test('a hanging receiver times out and does not delay another channel', async (t) => {
    const clock = manualClock();
    const db = await tempDatabase(t, clock);
    const hang = await startHttpSink(t, () => 'hang');
    const fast = await startHttpSink(t);
    const notifier = createNotifier(
      { db, clock, sleep: () => Promise.resolve() },
      [
        channel(t, { kind: 'webhook', name: 'stuck', url: hang.url, timeoutMs: 1000 }),
        channel(t, { kind: 'slack', name: 'quick', url: fast.url }),
      ],
      { maxAttempts: 2 },
    );
    t.after(() => notifier.close());
    notifier.notify(makeNotification({ groupKey: 'one' }));
    notifier.notify(makeNotification({ groupKey: 'two' }));
    // Both notifications reach the quick channel while the stuck one is still on its first attempt.
    await fast.received(2);
    await hang.received(1);
    const stuck = await db.all<{ state: string; attempts: number }>(
      `SELECT state, attempts FROM notifications WHERE channel = 'stuck' ORDER BY id`,
    );
    assert.equal(fast.requests.length, 2);
    assert.deepEqual(stuck, [
      { state: 'pending', attempts: 0 },
      { state: 'pending', attempts: 0 },
    ]);
    await notifier.idle();
    const quickAfter = await db.all<{ state: string }>(
      `SELECT state FROM notifications WHERE channel = 'quick'`,
    );
    assert.deepEqual(quickAfter, [{ state: 'sent' }, { state: 'sent' }]);
    const rows = (await notifier.deliveries({ limit: 10 })).filter((d) => d.channel === 'stuck');
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.state, 'failed');
      assert.equal(r.attempts, 2);
      assert.match(r.lastError ?? '', /^timeout: .* did not answer within 1000 ms$/);
    }
    assert.equal(hang.requests.length, 4, 'two attempts of each notification, in order');
  });
});

describe('channel configuration', () => {
  test('every YAML example in docs/channels.md is a valid channel list, covering every kind', () => {
    const doc = readFileSync(new URL('../../docs/channels.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 4);
    const kinds = new Set<string>();
    for (const block of blocks) {
      const parsed = ChannelConfigListSchema.safeParse(parseYaml(block));
      assert.ok(parsed.success, `${block}\n${parsed.error?.message}`);
      for (const c of parsed.data) kinds.add(c.kind);
    }
    assert.deepEqual([...kinds].sort(), ['alertmanager', 'email', 'slack', 'webhook']);
  });

  test('rejects unknown kinds and keys, bad URLs, short secrets, contradictory TLS, duplicate names', () => {
    const bad: unknown[] = [
      { kind: 'pager', name: 'p', url: 'https://x' },
      { kind: 'slack', name: 's', url: 'https://x', channel: '#ops' },
      { kind: 'webhook', name: 'w', url: 'ftp://x' },
      { kind: 'webhook', name: 'w', url: 'https://x', secret: 'short' },
      { kind: 'webhook', name: 'has space', url: 'https://x' },
      { kind: 'email', name: 'e', host: 'h', from: 'a@b.c', to: [] },
      {
        kind: 'email',
        name: 'e',
        host: 'h',
        from: 'a@b.c',
        to: ['x@y.z'],
        ignoreTLS: true,
        requireTLS: true,
      },
    ];
    for (const c of bad) assert.equal(ChannelConfigSchema.safeParse(c).success, false, JSON.stringify(c));
    const dup = ChannelConfigListSchema.safeParse([
      { kind: 'slack', name: 'a', url: 'https://x' },
      { kind: 'webhook', name: 'a', url: 'https://y' },
    ]);
    assert.equal(dup.success, false);
    assert.match(dup.error.message, /duplicate channel name a/);
  });

  test('redactChannelConfig masks every secret and nothing else', () => {
    const configs = ChannelConfigListSchema.parse([
      { kind: 'webhook', name: 'w', url: 'https://u:pw@h.example/x', secret: SECRET },
      { kind: 'slack', name: 's', url: 'https://hooks.slack.com/services/T/B/SECRET' },
      { kind: 'alertmanager', name: 'a', url: 'http://am:9093' },
      { kind: 'email', name: 'e', host: 'h', auth: { user: 'u', pass: 'pw' }, from: 'a@b.c', to: ['x@y.z'] },
    ]);
    const shown = JSON.stringify(configs.map(redactChannelConfig));
    for (const secret of [SECRET, 'SECRET', ':pw@', '"pw"']) assert.ok(!shown.includes(secret), secret);
    assert.ok(shown.includes('http://am:9093') && shown.includes('"user":"u"'));
  });
});
