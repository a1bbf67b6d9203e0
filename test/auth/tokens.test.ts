/** API tokens and role checks over real HTTP: bearer auth, revocation, expiry, last use, 401 vs 403. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, errorCode, startStack } from './helpers.js';

test('require(role): 401 without credentials, 403 for a weaker role, 200 at or above it', async (t) => {
  const s = await startStack(t);
  const none = await s.api('/ops');
  assert.equal(none.status, 401);
  assert.equal(await errorCode(none), 'unauthenticated');
  const bad = await s.api('/ops', { headers: bearer('rw_' + 'x'.repeat(43)) });
  assert.equal(bad.status, 401);

  const viewer = (await s.auth.createToken({ name: 'v', role: 'viewer' })).token;
  const operator = (await s.auth.createToken({ name: 'o', role: 'operator' })).token;
  const admin = (await s.auth.createToken({ name: 'a', role: 'admin' })).token;
  const forbidden = await s.api('/ops', { headers: bearer(viewer) });
  assert.equal(forbidden.status, 403);
  assert.equal(await errorCode(forbidden), 'forbidden');
  assert.equal((await s.api('/view', { headers: bearer(viewer) })).status, 200);
  for (const tok of [operator, admin])
    assert.equal((await s.api('/ops', { headers: bearer(tok) })).status, 200);
  const ok = (await (await s.api('/ops', { headers: bearer(operator) })).json()) as {
    principal: { kind: string; name: string; role: string };
  };
  assert.deepEqual([ok.principal.kind, ok.principal.name, ok.principal.role], ['token', 'o', 'operator']);
});

test('tokens are rw_ + 43 base64url chars, stored only as SHA-256 with a 10-char prefix', async (t) => {
  const s = await startStack(t);
  const { id, token } = await s.auth.createToken({ name: 'ci', role: 'viewer' });
  assert.match(token, /^rw_[A-Za-z0-9_-]{43}$/);
  const row = await s.db.get<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = ?', [id]);
  assert.equal(row!.prefix, token.slice(0, 10));
  assert.match(String(row!.token_hash), /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(row).includes(token));
});

test('a revoked token gets 401 at once', async (t) => {
  const s = await startStack(t);
  const { id, token } = await s.auth.createToken({ name: 'ci', role: 'operator' });
  assert.equal((await s.api('/ops', { headers: bearer(token) })).status, 200);
  assert.equal(await s.auth.revokeToken(id), true);
  assert.equal(await s.auth.revokeToken(id), false, 'already revoked');
  assert.equal(await s.auth.revokeToken(9999), false, 'unknown');
  const res = await s.api('/ops', { headers: bearer(token) });
  assert.equal(res.status, 401);
  assert.equal(await errorCode(res), 'unauthenticated');
  assert.equal(await s.auth.authenticate({ authorization: `Bearer ${token}` }), null);
});

test('an expired token gets 401; a bad bearer is not rescued by a valid cookie', async (t) => {
  const s = await startStack(t);
  const expiresAt = s.clock.now() + 60_000;
  const { token } = await s.auth.createToken({ name: 'short', role: 'viewer', expiresAt });
  assert.equal((await s.api('/view', { headers: bearer(token) })).status, 200);
  s.clock.advance(59_999);
  assert.equal((await s.api('/view', { headers: bearer(token) })).status, 200);
  s.clock.advance(1);
  assert.equal((await s.api('/view', { headers: bearer(token) })).status, 401);

  const cookie = await s.login('admin', 'correct horse battery');
  assert.equal((await s.api('/view', { headers: { cookie, ...bearer(token) } })).status, 401);
  await assert.rejects(
    s.auth.createToken({ name: 'past', role: 'viewer', expiresAt: s.clock.now() }),
    /future/,
  );
});

test('last_used_at is recorded, at most once a minute per token', async (t) => {
  const s = await startStack(t);
  const { id, token } = await s.auth.createToken({ name: 'busy', role: 'viewer' });
  const lastUsed = async () =>
    (await s.db.get<{ t: number | null }>('SELECT last_used_at AS t FROM api_tokens WHERE id = ?', [id]))!.t;
  assert.equal(await lastUsed(), null);
  const t0 = s.clock.now();
  await s.api('/view', { headers: bearer(token) });
  assert.equal(await lastUsed(), t0);
  s.clock.advance(59_000);
  await s.api('/view', { headers: bearer(token) });
  assert.equal(await lastUsed(), t0, 'not rewritten within the minute');
  s.clock.advance(1_000);
  await s.api('/view', { headers: bearer(token) });
  assert.equal(await lastUsed(), t0 + 60_000);
});

test("a user's token dies with the user's access and never acts above the user's role", async (t) => {
  const s = await startStack(t);
  const adminCookie = await s.login('admin', 'correct horse battery');
  const created = await s.api('/users', {
    headers: { cookie: adminCookie },
    body: { username: 'olga', password: 'olga password 1', role: 'operator' },
  });
  const olga = ((await created.json()) as { user: { id: number } }).user;
  await assert.rejects(
    s.auth.createToken({ name: 'too strong', role: 'admin', userId: olga.id }),
    /stronger/,
  );
  await assert.rejects(s.auth.createToken({ name: 'nobody', role: 'viewer', userId: 4242 }), /no user/);
  const { token } = await s.auth.createToken({ name: 'olga-ci', role: 'operator', userId: olga.id });
  assert.equal((await s.api('/ops', { headers: bearer(token) })).status, 200);

  const patch = (body: unknown) =>
    s.api(`/users/${olga.id}`, { method: 'PATCH', headers: { cookie: adminCookie }, body });
  assert.equal((await patch({ role: 'viewer' })).status, 200);
  assert.equal((await s.api('/ops', { headers: bearer(token) })).status, 403, 'demoted with its user');
  assert.equal((await s.api('/view', { headers: bearer(token) })).status, 200);
});
