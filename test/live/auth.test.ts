/**
 * Who may connect to the live stream: handshake credentials (API token in `auth.token`, session cookie),
 * refusals as connect_error 'unauthenticated', and disconnection of sockets whose credentials were
 * revoked, found by the periodic recheck (driven by a manual clock).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../server/core/clock.js';
import type { AlertChange } from '../../server/live/index.js';
import { client, connected, disconnected, emptyStore, fakeAuth, startLive } from './helpers.js';

const alert = (name: string): AlertChange => ({
  type: 'alert_changed',
  alert: {
    fingerprint: `fp-${name}`,
    rule: 'RingSplit',
    state: 'firing',
    labels: { alertname: 'RingSplit', note: name },
    annotations: {},
    activeAt: 1,
    startsAt: 1,
    endsAt: null,
    silencedBy: null,
    inhibitedBy: null,
    ack: null,
  },
});

test('connections without valid credentials are refused with "unauthenticated"', async (t) => {
  const clock = manualClock();
  const auth = fakeAuth();
  const live = await startLive(t, { store: await emptyStore(t, clock), auth, clock });
  for (const creds of [{}, { token: 'wrong-token' }, { cookie: 'rw_session=expired' }, { cookie: 'x=1' }]) {
    const c = client(t, live.url, creds);
    await assert.rejects(connected(c), { message: 'unauthenticated' }, JSON.stringify(creds));
  }
  const byToken = client(t, live.url, { token: 'good-token' });
  await connected(byToken);
  const bySession = client(t, live.url, { cookie: 'theme=dark; rw_session=good-session' });
  await connected(bySession);
  assert.equal(live.hub.stats().clients, 2);
});

test('an Auth that fails refuses with "unavailable", not with a crash', async (t) => {
  const clock = manualClock();
  const live = await startLive(t, {
    store: await emptyStore(t, clock),
    auth: { authenticate: () => Promise.reject(new Error('database is locked')) },
    clock,
  });
  await assert.rejects(connected(client(t, live.url, { token: 'good-token' })), { message: 'unavailable' });
});

test('nothing is received before subscribe', async (t) => {
  const clock = manualClock();
  const live = await startLive(t, { store: await emptyStore(t, clock), auth: fakeAuth(), clock });
  const c = client(t, live.url, { token: 'good-token' });
  await connected(c);
  live.hub.publishAlert(alert('before'));
  const ack = await c.subscribe();
  assert.deepEqual(ack, { mode: 'reset', latestCrawlId: null, seq: 1 });
  live.hub.publishAlert(alert('after'));
  const got = await c.waitFor((e) => e.name === 'alert:changed');
  assert.deepEqual(got.payload, { seq: 2, alert: alert('after').alert });
  assert.equal(c.events.length, 1);
});

test('revoked tokens and ended sessions are disconnected at the next recheck; others stay', async (t) => {
  const clock = manualClock();
  const auth = fakeAuth(['token-a', 'token-b'], ['session-c']);
  const live = await startLive(
    t,
    { store: await emptyStore(t, clock), auth, clock },
    { authRecheckMs: 60_000 },
  );
  const a = client(t, live.url, { token: 'token-a' });
  const b = client(t, live.url, { token: 'token-b' });
  const c = client(t, live.url, { cookie: 'rw_session=session-c' });
  for (const x of [a, b, c]) {
    await connected(x);
    await x.subscribe();
  }
  auth.tokens.delete('token-a');
  const aGone = disconnected(a);
  // Until the recheck, the revoked token still streams.
  clock.advance(59_999);
  live.hub.publishAlert(alert('one'));
  await a.waitFor((e) => e.name === 'alert:changed');
  assert.equal(a.socket.connected, true);

  clock.advance(1);
  assert.equal(await aGone, 'io server disconnect');
  live.hub.publishAlert(alert('two'));
  for (const x of [b, c]) await x.waitFor((e) => e.payload.seq === 2);
  assert.equal(live.hub.stats().clients, 2);

  auth.sessions.delete('session-c');
  const cGone = disconnected(c);
  clock.advance(60_000);
  assert.equal(await cGone, 'io server disconnect');
  live.hub.publishAlert(alert('three'));
  await b.waitFor((e) => e.payload.seq === 3);
  assert.equal(b.socket.connected, true);
  assert.equal(live.hub.stats().clients, 1);
});

test('close() disconnects the clients and refuses new ones', async (t) => {
  const clock = manualClock();
  const live = await startLive(t, { store: await emptyStore(t, clock), auth: fakeAuth(), clock });
  const c = client(t, live.url, { token: 'good-token' });
  await connected(c);
  const gone = disconnected(c);
  await live.hub.close();
  assert.equal(await gone, 'io server disconnect');
  await assert.rejects(connected(client(t, live.url, { token: 'good-token' })), { message: 'unavailable' });
  assert.equal(clock.pending(), 0, 'no timer left behind');
});
