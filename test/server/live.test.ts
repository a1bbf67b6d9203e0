/**
 * The live stream through the whole server: real Auth (API token, session cookie from a real login),
 * socket.io on the server's port, events of a crawl triggered over the REST API, a log pull announced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { io as connect, type Socket } from 'socket.io-client';
import { ADMIN_PASSWORD, startFixture } from './helpers.js';

function record(socket: Socket): { name: string; payload: { seq?: number; [k: string]: unknown } }[] {
  const events: { name: string; payload: { seq?: number } }[] = [];
  socket.onAny((name: string, payload: { seq?: number }) => events.push({ name, payload }));
  return events;
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('authenticated clients get a crawl’s events in order; anonymous ones are refused', async (t) => {
  const f = await startFixture(t, { nodes: 20 });
  const anon = connect(f.url, { transports: ['websocket'], reconnection: false });
  const refused = await new Promise<Error>((resolve) => anon.on('connect_error', resolve));
  assert.equal(refused.message, 'unauthenticated');
  anon.close();

  const viewer = connect(f.url, { transports: ['websocket'], auth: { token: f.tokens.viewer } });
  t.after(() => viewer.close());
  const events = record(viewer);
  await new Promise<void>((resolve) => viewer.on('connect', resolve));
  const ack = (await viewer.emitWithAck('subscribe', {})) as { mode: string };
  assert.equal(ack.mode, 'reset');

  // a browser: log in for a session cookie, connect with it
  const login = await fetch(`${f.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const browser = connect(f.url, { transports: ['websocket'], extraHeaders: { cookie } });
  t.after(() => browser.close());
  const browserEvents = record(browser);
  await new Promise<void>((resolve) => browser.on('connect', resolve));
  await browser.emitWithAck('subscribe', {});

  const started = await f.api('/api/v1/crawls', { method: 'POST', body: {}, role: 'operator' });
  await until(() => events.some((e) => e.name === 'crawl:finished'), 'crawl:finished');
  const names = events.map((e) => e.name);
  assert.equal(names[0], 'crawl:started');
  assert.ok(names.indexOf('crawl:progress') > 0);
  assert.ok(names.indexOf('crawl:finished') > names.lastIndexOf('crawl:progress'));
  const seqs = events.map((e) => e.payload.seq!);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => seqs[0]! + i),
    'seq has no gaps',
  );
  const finished = events.find((e) => e.name === 'crawl:finished')!.payload as {
    summary: { crawlId: number; reachable: number };
    delta: { nodes: { added: unknown[] } };
  };
  assert.equal(finished.summary.crawlId, started.body.crawlId);
  assert.equal(finished.summary.reachable, 20);
  assert.equal(finished.delta.nodes.added.length, 20, 'the first crawl adds every node');
  await until(() => browserEvents.some((e) => e.name === 'crawl:finished'), 'browser crawl:finished');

  const id = f.sim.ring.nodeId(3);
  const pull = await f.api(`/api/v1/nodes/${id}/logs`, {
    method: 'POST',
    body: { tail: 10 },
    role: 'operator',
  });
  assert.equal(pull.status, 201);
  await until(() => events.some((e) => e.name === 'logs:pulled'), 'logs:pulled');
  const announced = events.find((e) => e.name === 'logs:pulled')!.payload;
  assert.equal(announced.nodeKey, id);
  assert.equal(announced.pullId, String(pull.body.id));
  assert.equal(announced.requestedBy, 'token:test-operator');
});
