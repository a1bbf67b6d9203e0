/**
 * Alerting through the whole server: a simulated mass loss is crawled, NodeLossNonLinear fires once,
 * is delivered to a real webhook receiver (Alertmanager v4 shape, HMAC-signed), shows in the API and
 * on the live stream, is acknowledged by an operator, and resolves (with a resolved notification) once
 * the nodes are back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { io as connect } from 'socket.io-client';
import { startHttpSink } from '../alert/receivers.js';
import { startFixture } from './helpers.js';

const NODES = 200;

test('mass loss fires NodeLossNonLinear once, delivered, acknowledged, then resolved', async (t) => {
  const sink = await startHttpSink(t);
  const f = await startFixture(t, { nodes: NODES }, (o) => ({
    ...o,
    crawl: { ...o.crawl, timeoutMs: 5000 },
    detectors: { lostAfterCrawls: 2, loss: { absolute: 3, percent: 5 } },
    alerting: {
      ...o.alerting,
      externalUrl: 'http://ringwatch.test',
      channels: [
        { name: 'hook', kind: 'webhook', url: `${sink.url}/hook`, secret: 'hook-secret-123' } as never,
      ],
    },
  }));
  const live = connect(f.url, { transports: ['websocket'], auth: { token: f.tokens.viewer } });
  t.after(() => live.close());
  const changes: { alert: { rule: string; state: string } }[] = [];
  live.on('alert:changed', (p: { alert: { rule: string; state: string } }) => changes.push(p));
  await new Promise<void>((resolve) => live.on('connect', resolve));
  await live.emitWithAck('subscribe', {});

  assert.equal((await f.crawl(), (await f.api('/api/v1/alerts', { role: 'viewer' })).body.items.length), 0);
  const fault = await f.inject({ kind: 'mass-loss', fraction: 0.2, durationMs: 600_000 });
  let firing: { fingerprint: string; rule: string; state: string; annotations: Record<string, string> }[] =
    [];
  for (let i = 0; i < 4 && firing.length === 0; i++) {
    await f.crawl();
    const list = await f.api('/api/v1/alerts?state=firing&rule=NodeLossNonLinear', { role: 'viewer' });
    firing = list.body.items;
  }
  assert.equal(firing.length, 1, 'one alert, not one per crawl or per node');
  const alert = firing[0]!;
  assert.match(alert.annotations.dashboard ?? '', /^http:\/\/ringwatch\.test\//);
  assert.equal((await f.api('/api/v1/summary', { role: 'viewer' })).body.firingAlerts >= 1, true);

  const [delivered] = await sink.received(1);
  const body = JSON.parse(delivered!.body) as {
    version: string;
    status: string;
    alerts: { labels: Record<string, string> }[];
  };
  assert.equal(body.version, '4');
  assert.equal(body.status, 'firing');
  assert.equal(body.alerts[0]!.labels.alertname, 'NodeLossNonLinear');
  const expected = `sha256=${createHmac('sha256', 'hook-secret-123').update(delivered!.body).digest('hex')}`;
  assert.equal(delivered!.headers['x-ringwatch-signature'], expected);

  const ofLoss = () =>
    sink.requests
      .map(
        (r) =>
          JSON.parse(r.body) as {
            status: string;
            groupLabels: Record<string, string>;
            alerts: { labels: Record<string, string> }[];
          },
      )
      .filter((b) => b.alerts[0]!.labels.alertname === 'NodeLossNonLinear');
  await f.crawl(); // still firing: no second notification
  assert.equal(ofLoss().length, 1);

  assert.equal(
    (await f.api(`/api/v1/alerts/${alert.fingerprint}/ack`, { method: 'POST', body: {}, role: 'viewer' }))
      .status,
    403,
  );
  const ack = await f.api(`/api/v1/alerts/${alert.fingerprint}/ack`, {
    method: 'POST',
    body: { comment: 'on it' },
    role: 'operator',
  });
  assert.equal(ack.status, 200);
  assert.equal(ack.body.alert.ack.comment, 'on it');

  await fetch(`${f.sim.control}/faults/${fault.id}`, { method: 'DELETE' });
  let state = 'firing';
  for (let i = 0; i < 20 && state !== 'resolved'; i++) {
    await new Promise((r) => setTimeout(r, 300)); // the nodes come back up
    await f.crawl();
    state =
      (await f.api(`/api/v1/alerts/${alert.fingerprint}`, { role: 'viewer' })).body.alert?.state ?? 'unknown';
  }
  assert.equal(state, 'resolved');
  for (let i = 0; i < 100 && ofLoss().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    ofLoss().map((b) => b.status),
    ['firing', 'resolved'],
    'exactly one firing and one resolved notification',
  );
  assert.ok(changes.some((c) => c.alert.rule === 'NodeLossNonLinear' && c.alert.state === 'firing'));
  assert.ok(changes.some((c) => c.alert.rule === 'NodeLossNonLinear' && c.alert.state === 'resolved'));
  const deliveries = await f.api('/api/v1/notifications', { role: 'viewer' });
  assert.ok(deliveries.body.items.every((d: { state: string }) => d.state === 'sent'));
});
