/**
 * Security pass through the whole server: security headers and CSP, cross-site request refusal for
 * cookie sessions, per-client rate limiting, and no secret (admin password, API tokens, agent log
 * token, session ids) in logs, API answers or the database files in clear.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_PASSWORD, startFixture } from './helpers.js';

async function login(url: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url, ...headers },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
}

test('security headers and a strict Content-Security-Policy on every answer', async (t) => {
  const f = await startFixture(t, { nodes: 4 });
  for (const path of ['/api/v1/summary', '/healthz', '/no-such-page']) {
    const res = await fetch(`${f.url}${path}`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/, path);
    assert.match(csp, /script-src 'self'(;|$)/, `${path}: scripts only from the origin, no inline`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('referrer-policy'));
    assert.equal(res.headers.get('x-powered-by'), null);
  }
});

test('cookie sessions: cross-site state changes are refused, same-origin ones pass, tokens are unaffected', async (t) => {
  const f = await startFixture(t, { nodes: 4 });
  const evil = await login(f.url, { origin: 'https://evil.example' });
  assert.equal(evil.status, 403, 'login CSRF refused');
  const res = await login(f.url);
  assert.equal(res.status, 200);
  const setCookie = res.headers.getSetCookie().join('\n');
  assert.match(setCookie, /HttpOnly/i);
  assert.match(setCookie, /SameSite=Strict/i);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

  const post = (headers: Record<string, string>) =>
    fetch(`${f.url}/api/v1/crawls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, ...headers },
      body: '{}',
    });
  const cross = await post({ origin: 'https://evil.example' });
  assert.equal(cross.status, 403);
  assert.equal(((await cross.json()) as { error: { code: string } }).error.code, 'forbidden');
  assert.equal((await post({ 'sec-fetch-site': 'cross-site' })).status, 403);
  assert.equal((await post({ origin: f.url })).status, 202);
  // a script with a token needs no Origin
  await new Promise((r) => setTimeout(r, 50));
  const scripted = await f.api('/api/v1/crawls', { method: 'POST', body: {}, role: 'operator' });
  assert.ok([202, 409].includes(scripted.status));
});

test('a flood of API requests from one client is answered 429 with Retry-After; others are unaffected', async (t) => {
  const f = await startFixture(t, { nodes: 4 }, (o) => ({ ...o, rateLimitPerMinute: 30 }));
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) statuses.push((await f.api('/api/v1/summary', { role: 'viewer' })).status);
  assert.equal(statuses.filter((s) => s === 200).length, 30);
  assert.equal(statuses.filter((s) => s === 429).length, 10);
  const limited = await f.api('/api/v1/summary', { role: 'viewer' });
  assert.equal(limited.body.error.code, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.equal((await f.api('/api/v1/summary', { role: 'operator' })).status, 200, 'another client');
});

test('no secret appears in logs, API answers or the database files', async (t) => {
  const capture = { logs: [] as string[] };
  const f = await startFixture(t, { nodes: 6 }, (o) => o, capture);
  await f.crawl();
  const res = await login(f.url);
  const session = res.headers.getSetCookie()[0]!.split(';')[0]!.split('=')[1]!;
  const made = await f.api('/api/v1/tokens', { method: 'POST', body: { name: 'ci', role: 'viewer' } });
  assert.equal(made.status, 201);
  const secret: string = made.body.secret;
  const id = f.sim.ring.nodeId(1);
  assert.equal(
    (await f.api(`/api/v1/nodes/${id}/logs`, { method: 'POST', body: { tail: 5 }, role: 'operator' })).status,
    201,
  );
  await f.api('/api/v1/auth/login', {
    method: 'POST',
    body: { username: 'admin', password: 'wrong-password-attempt' },
    role: null,
  });

  const secrets = {
    adminPassword: ADMIN_PASSWORD,
    wrongPassword: 'wrong-password-attempt',
    apiToken: secret,
    viewerToken: f.tokens.viewer,
    agentToken: 'ringwatch-sim-token',
    session,
  };
  const answers = [
    await f.api('/api/v1/tokens'),
    await f.api('/api/v1/users'),
    await f.api('/api/v1/audit'),
    await f.api('/api/v1/auth/me'),
    await f.api(`/api/v1/nodes/${id}/logs`),
  ].map((a) => JSON.stringify(a.body));
  await f.server.close(); // flush the WAL into the database file
  const files = readdirSync(f.dir).map((n) => readFileSync(join(f.dir, n)));
  for (const [name, value] of Object.entries(secrets)) {
    for (const line of capture.logs) assert.ok(!line.includes(value), `${name} in a log line: ${line}`);
    for (const a of answers) assert.ok(!a.includes(value), `${name} in an API answer`);
    for (const b of files) assert.equal(b.indexOf(Buffer.from(value)), -1, `${name} in the database files`);
  }
  assert.ok(capture.logs.length > 0, 'the server did log');
});
