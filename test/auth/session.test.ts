/** Logging in and out over real HTTP: cookies, /auth/me, rate limits, session expiry, audit rows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSetCookie } from 'cookie';
import { ADMIN_PASSWORD, bearer, errorCode, startStack, withCookie } from './helpers.js';

test('login sets an httpOnly SameSite=Strict session cookie that /auth/me and guarded routes accept', async (t) => {
  const s = await startStack(t);
  const res = await s.api('/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { user: Record<string, unknown> };
  assert.deepEqual(Object.keys(body.user).sort(), ['createdAt', 'disabled', 'id', 'role', 'username']);
  assert.deepEqual([body.user.username, body.user.role, body.user.disabled], ['admin', 'admin', false]);

  const raw = res.headers.get('set-cookie')!;
  const c = parseSetCookie(raw);
  assert.equal(c.name, 'ringwatch_session');
  assert.match(c.value ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, 'strict');
  assert.equal(c.path, '/');
  assert.notEqual(c.secure, true, 'not Secure unless configured');
  assert.equal(c.maxAge, 12 * 3600);

  const cookie = `${c.name}=${c.value}`;
  const me = await s.api('/auth/me', { headers: withCookie(cookie) });
  assert.equal(me.status, 200);
  const who = (await me.json()) as { principal: Record<string, unknown>; user: Record<string, unknown> };
  assert.deepEqual(who.principal, {
    kind: 'session',
    id: body.user.id,
    name: 'admin',
    role: 'admin',
    userId: body.user.id,
  });
  assert.equal(who.user.username, 'admin');
  assert.equal((await s.api('/ops', { headers: withCookie(cookie) })).status, 200);

  // The session id is stored only hashed.
  const row = await s.db.get<{ id_hash: string }>('SELECT id_hash FROM sessions');
  assert.match(row!.id_hash, /^[0-9a-f]{64}$/);
  assert.notEqual(row!.id_hash, c.value);
});

test('Secure cookies when configured, and the cookie name is configurable', async (t) => {
  const s = await startStack(t, { secureCookies: true, cookieName: 'rw' });
  const res = await s.api('/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  const c = parseSetCookie(res.headers.get('set-cookie')!);
  assert.equal(c.name, 'rw');
  assert.equal(c.secure, true);
});

test('wrong password and unknown user get the same 401; bad bodies get 400', async (t) => {
  const s = await startStack(t);
  for (const creds of [
    { username: 'admin', password: 'not the password' },
    { username: 'nobody', password: ADMIN_PASSWORD },
  ]) {
    const res = await s.api('/auth/login', { body: creds });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('set-cookie'), null);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.deepEqual(body.error, { code: 'unauthenticated', message: 'invalid user name or password' });
  }
  const missing = await s.api('/auth/login', { body: { username: 'admin' } });
  assert.equal(missing.status, 400);
  assert.equal(await errorCode(missing), 'bad_request');
  const extra = await s.api('/auth/login', { body: { username: 'admin', password: 'x', admin: true } });
  assert.equal(extra.status, 400);
  assert.equal((await s.api('/auth/me')).status, 401);
});

test('failed logins are rate-limited per address+name and per address, with Retry-After, on the clock', async (t) => {
  const s = await startStack(t, { loginRateLimit: { max: 3, maxPerIp: 5, windowMs: 60_000 } });
  const attempt = (username: string, password = 'wrong password!') =>
    s.api('/auth/login', { body: { username, password } });
  for (let i = 0; i < 3; i++) assert.equal((await attempt('admin')).status, 401);
  const limited = await attempt('admin', ADMIN_PASSWORD);
  assert.equal(limited.status, 429, 'even the right password is refused while limited');
  assert.equal(await errorCode(limited), 'rate_limited');
  assert.equal(limited.headers.get('retry-after'), '60');
  // Names compare case-insensitively.
  assert.equal((await attempt('ADMIN')).status, 429);

  s.clock.advance(30_000);
  assert.equal((await attempt('admin')).headers.get('retry-after'), '30');
  // Another name from the same address still has attempts left, until the per-address limit.
  assert.equal((await attempt('eve')).status, 401);
  assert.equal((await attempt('mallory')).status, 401);
  assert.equal((await attempt('trent')).status, 429, 'per-address limit of 5 failures reached');

  s.clock.advance(30_000);
  assert.equal((await attempt('admin', ADMIN_PASSWORD)).status, 200, 'the window slid past the failures');
});

test('a successful login forgets the failures of that address+name', async (t) => {
  const s = await startStack(t, { loginRateLimit: { max: 3, maxPerIp: 100 } });
  const attempt = (password: string) => s.api('/auth/login', { body: { username: 'admin', password } });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 2; i++) assert.equal((await attempt('wrong password!')).status, 401);
    assert.equal((await attempt(ADMIN_PASSWORD)).status, 200);
  }
});

test('logout deletes the session server-side and clears the cookie', async (t) => {
  const s = await startStack(t);
  const cookie = await s.login('admin', ADMIN_PASSWORD);
  const out = await s.api('/auth/logout', { method: 'POST', headers: withCookie(cookie) });
  assert.equal(out.status, 204);
  const cleared = parseSetCookie(out.headers.get('set-cookie')!);
  assert.equal(cleared.value, '');
  assert.equal(cleared.maxAge, 0);
  // A client that keeps the old cookie anyway gets nothing.
  assert.equal((await s.api('/auth/me', { headers: withCookie(cookie) })).status, 401);
  assert.equal((await s.api('/view', { headers: withCookie(cookie) })).status, 401);
  assert.equal((await s.db.get<{ n: number }>('SELECT count(*) AS n FROM sessions'))!.n, 0);
  // Logging out without a session is harmless.
  assert.equal((await s.api('/auth/logout', { method: 'POST' })).status, 204);
});

test('sessions expire after the TTL without use, and using them slides the expiry', async (t) => {
  const hour = 3_600_000;
  const s = await startStack(t, { sessionTtlMs: 2 * hour });
  const cookie = await s.login('admin', ADMIN_PASSWORD);

  s.clock.advance(1.5 * hour);
  const used = await s.api('/view', { headers: withCookie(cookie) });
  assert.equal(used.status, 200);
  const refreshed = parseSetCookie(used.headers.get('set-cookie') ?? '');
  assert.equal(refreshed.maxAge, 2 * 3600, 'the slid session gets its cookie re-sent');

  s.clock.advance(1.5 * hour); // 3 h after login, 1.5 h after last use
  assert.equal((await s.api('/auth/me', { headers: withCookie(cookie) })).status, 200);

  s.clock.advance(2 * hour + 1);
  const expired = await s.api('/auth/me', { headers: withCookie(cookie) });
  assert.equal(expired.status, 401);
  assert.equal(await errorCode(expired), 'unauthenticated');
  assert.equal(await s.auth.authenticate({ cookie }), null);
  assert.equal((await s.db.get<{ n: number }>('SELECT count(*) AS n FROM sessions'))!.n, 0);
});

test('authenticate() never throws for junk credentials', async (t) => {
  const s = await startStack(t);
  for (const creds of [
    {},
    { cookie: 'ringwatch_session=' },
    { cookie: 'ringwatch_session=%E0%A4%A' },
    { cookie: 'ringwatch_session=' + 'A'.repeat(43) },
    { cookie: ';;;=;' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer rw_short' },
    { authorization: 'Bearer rw_' + 'A'.repeat(43) },
    { authorization: 'Basic YWRtaW46eA==' },
  ])
    assert.equal(await s.auth.authenticate(creds), null, JSON.stringify(creds));
});

test('audit rows record logins and logouts without any secret', async (t) => {
  const s = await startStack(t);
  await s.api('/auth/login', { body: { username: 'admin', password: 'wrong password!' } });
  const cookie = await s.login('admin', ADMIN_PASSWORD);
  await s.api('/auth/logout', { method: 'POST', headers: withCookie(cookie) });

  const { items } = await s.audit.list({ limit: 10 });
  assert.deepEqual(
    items.map((e) => [e.actor, e.action, e.target]),
    [
      ['user:admin', 'logout', 'user:admin'],
      ['user:admin', 'login.success', 'user:admin'],
      ['anonymous', 'login.failure', 'user:admin'],
      ['system', 'user.create', 'user:admin'],
    ],
  );
  assert.deepEqual((items[2]!.detail as { reason: string }).reason, 'bad_password');
  assert.equal(items[1]!.at, s.clock.now());
  const dump = JSON.stringify(await s.db.all('SELECT * FROM audit_log'));
  assert.ok(!dump.includes('wrong password!'));
  assert.ok(!dump.includes(ADMIN_PASSWORD));
  assert.ok(!dump.includes(cookie.split('=')[1]!));
});

test('a bearer token on /auth/me answers the token principal', async (t) => {
  const s = await startStack(t);
  const { id, token } = await s.auth.createToken({ name: 'ci', role: 'viewer' });
  const me = await s.api('/auth/me', { headers: bearer(token) });
  assert.equal(me.status, 200);
  assert.deepEqual(await me.json(), {
    principal: { kind: 'token', id, name: 'ci', role: 'viewer', userId: null },
    user: null,
  });
});
