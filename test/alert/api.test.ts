/**
 * The alerts API through real HTTP: a tiny express app with a fake auth (role from x-test-role, 401
 * without it), the alerts router over a real engine on a temp SQLite file and a recording notifier.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { RequestHandler } from 'express';
import type { AlertView } from '../../server/alert/engine.js';
import type { AlertEvent } from '../../server/alert/repo.js';
import type { Silence } from '../../server/alert/silences.js';
import { createAlertsRouter } from '../../server/api/alerts.js';
import { roleAtLeast, type Principal, type Role } from '../../server/auth/types.js';
import { errorBody, errorHandler } from '../../server/http/errors.js';
import { engineFixture, MINUTE, NODE_A, NODE_B, NODE_C, sig, type EngineFixture } from './engine-helpers.js';

const fakeAuth = {
  middleware(): RequestHandler {
    return (req, res, next) => {
      const role = req.header('x-test-role') as Role | undefined;
      if (!role) {
        res.status(401).json(errorBody('unauthenticated', 'no credentials'));
        return;
      }
      const p: Principal = { kind: 'token', id: 1, name: `${role}-user`, role, userId: null };
      res.locals.principal = p;
      next();
    };
  },
  require(role: Role): RequestHandler {
    return (_req, res, next) => {
      const p = res.locals.principal as Principal;
      if (!roleAtLeast(p.role, role)) res.status(403).json(errorBody('forbidden', `needs ${role}`));
      else next();
    };
  },
};

/** Every field any answer of these routes has (each answer has some of them). */
interface Json {
  items: (AlertView & Omit<Silence, 'state'> & { name: string; kind: string })[];
  nextCursor: string | null;
  alert: AlertView;
  events: AlertEvent[];
  silence: Silence;
  error: { code: string; message: string };
  channel: string;
  ok: boolean;
}

interface Api {
  f: EngineFixture;
  call(
    method: string,
    path: string,
    opts?: { role?: Role | null; body?: unknown },
  ): Promise<{ status: number; body: Json }>;
}

async function startApi(t: TestContext): Promise<Api> {
  const f = await engineFixture(t);
  const app = express();
  app.use(express.json());
  app.use(fakeAuth.middleware());
  app.use(createAlertsRouter({ auth: fakeAuth, engine: f.engine, notifier: f.notifier }));
  app.use(errorHandler((err) => console.error(err)));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    f,
    async call(method, path, opts = {}) {
      const role = opts.role === undefined ? 'viewer' : opts.role;
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(role ? { 'x-test-role': role } : {}),
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Json };
    },
  };
}

test('GET /alerts: filters, pages, validation and access', async (t) => {
  const api = await startApi(t);
  const { f } = api;
  await f.crawl([
    sig('persistent_inconsistency', { node: NODE_A }),
    sig('persistent_inconsistency', { node: NODE_B }),
    sig('thread_stalled', { node: NODE_A, thread: 'dht' }),
    sig('memory_growth', { node: NODE_C }),
  ]);
  await f.crawl([sig('persistent_inconsistency', { node: NODE_A }), sig('memory_growth', { node: NODE_C })]);

  assert.equal((await api.call('GET', '/alerts', { role: null })).status, 401);
  const active = await api.call('GET', '/alerts');
  assert.equal(active.status, 200);
  assert.deepEqual(active.body.items.map((a) => a.rule).sort(), ['MemoryGrowth', 'PersistentInconsistency']);
  assert.equal(active.body.nextCursor, null);
  const pending = await api.call('GET', '/alerts?state=pending');
  assert.deepEqual(
    pending.body.items.map((a) => a.labels.node),
    [NODE_C],
  );
  const firing = await api.call('GET', '/alerts?state=firing&rule=PersistentInconsistency');
  assert.equal(firing.body.items.length, 1);
  const resolved = await api.call('GET', '/alerts?state=resolved');
  assert.equal(resolved.body.items.length, 2);
  assert.equal(resolved.body.items[0]!.state, 'resolved');
  const byNode = await api.call('GET', `/alerts?state=all&node=${NODE_A}`);
  assert.deepEqual(byNode.body.items.map((a) => a.rule).sort(), ['PersistentInconsistency', 'ThreadStalled']);

  // Paging through all four, newest first, two per page.
  const p1 = await api.call('GET', '/alerts?state=all&limit=2');
  assert.equal(p1.body.items.length, 2);
  assert.equal(typeof p1.body.nextCursor, 'string');
  const p2 = await api.call('GET', `/alerts?state=all&limit=2&cursor=${p1.body.nextCursor}`);
  assert.equal(p2.body.items.length, 2);
  assert.equal(p2.body.nextCursor, null);
  const ids = [...p1.body.items, ...p2.body.items].map((a) => a.id);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => b - a),
  );
  assert.equal(new Set(ids).size, 4);

  for (const bad of [
    'state=bogus',
    'rule=Nope',
    'node=xyz',
    'limit=0',
    'limit=1001',
    'cursor=abc',
    'foo=1',
  ]) {
    const r = await api.call('GET', `/alerts?${bad}`);
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.error.code, 'bad_request');
  }
});

test('GET /alerts/:fingerprint with its events; POST ack', async (t) => {
  const api = await startApi(t);
  await api.f.crawl([sig('ring_split', { value: 2 }), sig('memory_growth', { node: NODE_C })]);
  const fp = (await api.call('GET', '/alerts?rule=RingSplit')).body.items[0]!.fingerprint;
  const one = await api.call('GET', `/alerts/${fp}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.alert.state, 'firing');
  assert.deepEqual(
    one.body.events.map((e) => e.type),
    ['notified', 'firing', 'pending'],
  );
  assert.equal((await api.call('GET', '/alerts/0000000000000000')).status, 404);
  assert.equal((await api.call('GET', '/alerts/not-a-fingerprint')).body.error.code, 'bad_request');

  assert.equal((await api.call('POST', `/alerts/${fp}/ack`, { body: {} })).status, 403, 'viewers cannot ack');
  const ack = await api.call('POST', `/alerts/${fp}/ack`, { role: 'operator', body: { comment: 'on it' } });
  assert.equal(ack.status, 200);
  assert.equal(ack.body.alert.ack?.by, 'operator-user');
  assert.equal(ack.body.alert.ack?.comment, 'on it');
  const again = await api.call('POST', `/alerts/${fp}/ack`, { role: 'admin' });
  assert.equal(again.status, 200, 'no body is an empty comment');
  assert.equal(again.body.alert.ack?.by, 'admin-user');
  const bad = await api.call('POST', `/alerts/${fp}/ack`, { role: 'operator', body: { comment: 1 } });
  assert.equal(bad.status, 400);

  const leak = (await api.call('GET', '/alerts?state=pending')).body.items[0]!.fingerprint;
  const pendingAck = await api.call('POST', `/alerts/${leak}/ack`, { role: 'operator', body: {} });
  assert.equal(pendingAck.status, 409);
  assert.equal(pendingAck.body.error.code, 'conflict');
  assert.equal(
    (await api.call('POST', '/alerts/0000000000000000/ack', { role: 'operator', body: {} })).status,
    404,
  );
});

test('silences: create, list, expire; validation and roles', async (t) => {
  const api = await startApi(t);
  const now = api.f.clock.now();
  const body = {
    matchers: [{ name: 'node', value: `${NODE_A.slice(0, 4)}.*`, isRegex: true }],
    endsAt: now + 60 * MINUTE,
    comment: 'maintenance of the a-nodes',
  };
  assert.equal((await api.call('POST', '/silences', { body })).status, 403);
  const created = await api.call('POST', '/silences', { role: 'operator', body });
  assert.equal(created.status, 201);
  assert.equal(created.body.silence.createdBy, 'operator-user');
  assert.equal(created.body.silence.state, 'active');
  assert.deepEqual(created.body.silence.matchers, [{ ...body.matchers[0], isEqual: true }]);

  await api.f.crawl([sig('persistent_inconsistency', { node: NODE_A })]);
  const silenced = await api.call('GET', '/alerts?state=silenced');
  assert.equal(silenced.body.items[0]!.silencedBy, created.body.silence.id);
  assert.equal(api.f.notifier.sent.length, 0);

  for (const bad of [
    { ...body, endsAt: now - 1 },
    { ...body, matchers: [] },
    { ...body, matchers: [{ name: 'node', value: '[', isRegex: true }] },
    { ...body, matchers: [{ name: 'node', value: '.*', isRegex: true }] },
    { ...body, startsAt: now + 2 * 60 * MINUTE },
    { ...body, extra: 1 },
    { comment: 'no matchers' },
  ]) {
    const r = await api.call('POST', '/silences', { role: 'operator', body: bad });
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.equal(r.body.error.code, 'bad_request');
  }

  const list = await api.call('GET', '/silences');
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.items.map((s) => s.id),
    [created.body.silence.id],
  );
  assert.equal((await api.call('GET', '/silences?state=expired')).body.items.length, 0);
  assert.equal((await api.call('GET', '/silences?state=nope')).status, 400);

  const id = created.body.silence.id;
  assert.equal((await api.call('DELETE', `/silences/${id}`)).status, 403);
  const del = await api.call('DELETE', `/silences/${id}`, { role: 'operator' });
  assert.equal(del.status, 200);
  assert.equal(del.body.silence.state, 'expired');
  assert.equal(api.f.notifier.sent.length, 1, 'the alert it muted is sent now');
  assert.equal((await api.call('GET', '/silences?state=expired')).body.items.length, 1);
  assert.equal((await api.call('DELETE', '/silences/999', { role: 'operator' })).status, 404);
  assert.equal((await api.call('DELETE', '/silences/abc', { role: 'operator' })).status, 400);
});

test('channels: names and kinds only; test sends through the notifier (operator)', async (t) => {
  const api = await startApi(t);
  const list = await api.call('GET', '/channels');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, { items: [{ name: 'ops-hook', kind: 'webhook' }], nextCursor: null });
  assert.equal((await api.call('GET', '/channels?limit=x')).status, 400);

  assert.equal((await api.call('POST', '/channels/ops-hook/test', { body: {} })).status, 403);
  const ok = await api.call('POST', '/channels/ops-hook/test', { role: 'operator', body: {} });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { channel: 'ops-hook', ok: true });
  assert.deepEqual(api.f.notifier.tested, ['ops-hook']);
  const missing = await api.call('POST', '/channels/nope/test', { role: 'operator', body: {} });
  assert.equal(missing.status, 404);
  assert.deepEqual(api.f.notifier.tested, ['ops-hook']);
});
