/**
 * The REST API end to end: a real server (HTTP, SQLite, auth) over a simulated ring, driven with fetch.
 * Covers every documented route's access rules, the crawl and topology routes, and validation.
 */
import { test } from 'node:test';
import { request } from 'undici';
import assert from 'node:assert/strict';
import { ROUTES } from '../../server/api/openapi.js';
import { ROLES, roleAtLeast } from '../../server/auth/types.js';
import { startFixture } from './helpers.js';

const NODES = 40;

test('the documented routes are exactly the routes served, and each enforces 401 and its role', async (t) => {
  const f = await startFixture(t, { nodes: 8 });
  const documented = ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
  assert.deepEqual(
    f.server.routes,
    documented,
    'every served route is documented in openapi.ts and vice versa',
  );

  const id = 'a'.repeat(40);
  for (const r of ROUTES) {
    if (r.access === 'public') continue;
    const path = `/api/v1${r.path.replace(':id', r.path.startsWith('/nodes') ? id : '1').replace(':pullId', '1')}`;
    const method = r.method.toUpperCase();
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    const anon = await f.api(path, { method, body, role: null });
    assert.equal(anon.status, 401, `${method} ${path} without credentials`);
    assert.equal(anon.body.error.code, 'unauthenticated');
    const bad = await f.api(path, { method, body, token: 'rw_not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaa' });
    assert.equal(bad.status, 401, `${method} ${path} with an unknown token`);
    for (const role of ROLES) {
      if (roleAtLeast(role, r.access)) continue;
      const weak = await f.api(path, { method, body, role });
      assert.equal(weak.status, 403, `${method} ${path} as ${role}`);
      assert.equal(weak.body.error.code, 'forbidden');
    }
  }
});

test('summary, crawl history and the topology of a crawl', async (t) => {
  const f = await startFixture(t, { nodes: NODES });
  const empty = await f.api('/api/v1/summary', { role: 'viewer' });
  assert.equal(empty.status, 200);
  assert.equal(empty.body.lastCrawl, null);

  const first = await f.crawl();
  const second = await f.crawl();
  const s = await f.api('/api/v1/summary', { role: 'viewer' });
  assert.equal(s.body.nodes, NODES);
  assert.equal(s.body.reachable, NODES);
  assert.equal(s.body.rings, 1);
  assert.equal(s.body.consistency, 1);
  assert.equal(s.body.lastCrawl.id, second);
  assert.equal(typeof s.body.lastCrawl.durationMs, 'number');
  assert.equal(s.body.firingAlerts, 0);

  const page1 = await f.api('/api/v1/crawls?limit=1', { role: 'viewer' });
  assert.deepEqual(
    page1.body.items.map((c: { id: number }) => c.id),
    [second],
  );
  const page2 = await f.api(`/api/v1/crawls?limit=1&cursor=${page1.body.nextCursor}`, { role: 'viewer' });
  assert.deepEqual(
    page2.body.items.map((c: { id: number }) => c.id),
    [first],
  );
  assert.equal(page2.body.nextCursor, null);

  const one = await f.api(`/api/v1/crawls/${first}`, { role: 'viewer' });
  assert.equal(one.body.state, 'succeeded');
  assert.equal((await f.api('/api/v1/crawls/999999', { role: 'viewer' })).status, 404);
  const bad = await f.api('/api/v1/crawls/abc', { role: 'viewer' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'bad_request');

  const topo = await f.api(`/api/v1/crawls/${first}/topology`, { role: 'viewer' });
  assert.equal(topo.status, 200);
  assert.equal(topo.body.nodes.length, NODES);
  for (const n of topo.body.nodes) {
    assert.ok(n.position >= 0 && n.position < 1, 'position is the fraction of the ID space');
    assert.equal(n.health, 'ok');
  }
  const positions = topo.body.nodes.map((n: { position: number }) => n.position);
  assert.equal(new Set(positions).size, NODES);
  const kinds = new Set(topo.body.edges.map((e: { kind: string }) => e.kind));
  for (const k of ['L1', 'L2', 'R1', 'R2', 'near']) assert.ok(kinds.has(k), `edges of kind ${k}`);
  // Encoded once per crawl, with a validator: a dashboard that has it gets 304 and no body.
  const etag = topo.headers.get('etag');
  assert.match(etag ?? '', /^W\/"[0-9a-f]+-[\w-]+"$/);
  assert.match(topo.headers.get('content-type') ?? '', /^application\/json/);
  const again = await f.api(`/api/v1/crawls/${first}/topology`, { role: 'viewer' });
  assert.equal(again.headers.get('etag'), etag);
  assert.deepEqual(again.body, topo.body);
  // undici's request, not fetch: fetch adds Cache-Control: no-cache to a hand-made conditional request.
  const cached = await request(`${f.url}/api/v1/crawls/${first}/topology`, {
    headers: { authorization: `Bearer ${f.tokens.viewer}`, 'if-none-match': etag! },
  });
  assert.equal(cached.statusCode, 304);
  assert.equal(await cached.body.text(), '');
  const latest = await f.api(`/api/v1/crawls/${second}/topology`, { role: 'viewer' });
  assert.notEqual(latest.headers.get('etag'), etag, 'another crawl, another validator');
  const bare = await f.api(`/api/v1/crawls/${first}/topology?connections=false`, { role: 'viewer' });
  assert.notEqual(bare.headers.get('etag'), etag);
  assert.ok(bare.body.edges.every((e: { kind: string }) => /^[LR][12]$/.test(e.kind)));
  assert.equal((await f.api(`/api/v1/crawls/${first}/topology?bogus=1`, { role: 'viewer' })).status, 400);
});

test('POST /crawls starts a crawl (202) and answers 409 while it runs', async (t) => {
  const f = await startFixture(t, { nodes: 30, answerDelay: 150 }, (o) => ({
    ...o,
    crawl: { ...o.crawl, concurrency: 4 },
  }));
  const started = await f.api('/api/v1/crawls', { method: 'POST', body: {}, role: 'operator' });
  assert.equal(started.status, 202);
  assert.equal(typeof started.body.crawlId, 'number');
  const again = await f.api('/api/v1/crawls', { method: 'POST', body: {}, role: 'operator' });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'crawl_running');
  const running = await f.api('/api/v1/summary', { role: 'viewer' });
  assert.equal(running.body.running.crawlId, started.body.crawlId);
  const bad = await f.api('/api/v1/crawls', {
    method: 'POST',
    body: { strategy: 'sideways' },
    role: 'operator',
  });
  assert.equal(bad.status, 400);
  // wait for it to finish, then it is in the history as succeeded
  for (let i = 0; i < 200; i++) {
    const c = await f.api(`/api/v1/crawls/${started.body.crawlId}`, { role: 'viewer' });
    if (c.body.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const done = await f.api(`/api/v1/crawls/${started.body.crawlId}`, { role: 'viewer' });
  assert.equal(done.body.state, 'succeeded');
  const audit = await f.api('/api/v1/audit', { role: 'admin' });
  assert.ok(audit.body.items.some((e: { action: string; actor: string }) => e.action === 'crawl.trigger'));
});

test('bad bodies get a clear error: malformed JSON 400, oversized 413, unknown route 404', async (t) => {
  const f = await startFixture(t, { nodes: 4 });
  const malformed = await f.api('/api/v1/crawls', { method: 'POST', body: '{"strategy":', role: 'operator' });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, 'bad_request');
  const huge = await f.api('/api/v1/crawls', {
    method: 'POST',
    body: JSON.stringify({ strategy: 'x'.repeat(200_000) }),
    role: 'operator',
  });
  assert.equal(huge.status, 413);
  assert.equal(huge.body.error.code, 'payload_too_large');
  const none = await f.api('/api/v1/no-such-thing', { role: 'viewer' });
  assert.equal(none.status, 404);
  assert.equal(none.body.error.code, 'not_found');
});

test('health, metrics and the OpenAPI document are served without credentials', async (t) => {
  const f = await startFixture(t, { nodes: 6 });
  await f.crawl();
  const h = await f.api('/healthz', { role: null });
  assert.equal(h.status, 200);
  assert.equal(h.body.ok, true);
  assert.equal(h.body.checks.database.ok, true);
  const m = await fetch(`${f.url}/metrics`);
  const text = await m.text();
  assert.match(text, /ringwatch_crawls_total\{state="succeeded"\} 1/);
  assert.match(text, /ringwatch_nodes\{reachability="reachable"\} 6/);
  assert.match(text, /ringwatch_http_request_duration_seconds_bucket/);
  assert.match(text, /nodejs_eventloop_lag_seconds/);
  const doc = await f.api('/api/v1/openapi.json', { role: null });
  assert.equal(doc.status, 200);
  assert.equal(doc.body.openapi, '3.1.0');
  assert.ok(doc.body.paths['/nodes/{id}/logs'].post.requestBody);
  assert.ok(doc.headers.get('content-security-policy'));
});
