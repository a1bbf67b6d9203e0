/** Admin-only user and token management over real HTTP, the last-admin rule, and ensureAdmin(). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuth } from '../../server/auth/index.js';
import { openDatabase } from '../../server/store/index.js';
import { manualClock } from '../../server/core/clock.js';
import { ADMIN_PASSWORD, bearer, errorCode, startStack, withCookie } from './helpers.js';
import type { Stack } from './helpers.js';

interface UserJson {
  id: number;
  username: string;
  role: string;
  createdAt: number;
  disabled: boolean;
}
interface TokenJson {
  id: number;
  name: string;
  prefix: string;
  role: string;
  userId: number | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

async function asAdmin(s: Stack) {
  const cookie = await s.login('admin', ADMIN_PASSWORD);
  const call = (path: string, method = 'GET', body?: unknown) =>
    s.api(path, { method, headers: withCookie(cookie), ...(body !== undefined ? { body } : {}) });
  const addUser = async (username: string, role: string, password = `${username} password 1`) => {
    const res = await call('/users', 'POST', { username, password, role });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { user: UserJson }).user;
  };
  return { cookie, call, addUser };
}

test('admins list, create, update and delete users; responses never carry a hash', async (t) => {
  const s = await startStack(t);
  const { call, addUser } = await asAdmin(s);
  const bob = await addUser('bob', 'viewer');
  assert.deepEqual(Object.keys(bob).sort(), ['createdAt', 'disabled', 'id', 'role', 'username']);
  assert.deepEqual(
    [bob.username, bob.role, bob.disabled, bob.createdAt],
    ['bob', 'viewer', false, s.clock.now()],
  );

  const dup = await call('/users', 'POST', { username: 'BOB', password: 'another password', role: 'viewer' });
  assert.equal(dup.status, 409);
  const short = await call('/users', 'POST', { username: 'carol', password: 'short', role: 'viewer' });
  assert.equal(short.status, 400);
  assert.equal(await errorCode(short), 'bad_request');
  const badName = await call('/users', 'POST', {
    username: 'a b',
    password: 'long enough pw',
    role: 'viewer',
  });
  assert.equal(badName.status, 400);
  const badRole = await call('/users', 'POST', {
    username: 'carol',
    password: 'long enough pw',
    role: 'root',
  });
  assert.equal(badRole.status, 400);

  const list = await call('/users');
  const page = (await list.json()) as { items: UserJson[]; nextCursor: string | null };
  assert.deepEqual(
    page.items.map((u) => u.username),
    ['admin', 'bob'],
  );
  assert.equal(page.nextCursor, null);
  assert.ok(!JSON.stringify(page).includes('$2'), 'no bcrypt hash in the answer');

  const patched = await call(`/users/${bob.id}`, 'PATCH', { role: 'operator' });
  assert.equal(patched.status, 200);
  assert.equal(((await patched.json()) as { user: UserJson }).user.role, 'operator');
  assert.equal((await call(`/users/${bob.id}`, 'PATCH', {})).status, 400, 'nothing to change');
  assert.equal((await call(`/users/${bob.id}`, 'PATCH', { role: 'admin', evil: 1 })).status, 400);
  assert.equal((await call('/users/9999', 'PATCH', { role: 'viewer' })).status, 404);
  assert.equal((await call('/users/abc', 'PATCH', { role: 'viewer' })).status, 400);

  assert.equal((await call(`/users/${bob.id}`, 'DELETE')).status, 204);
  assert.equal((await call(`/users/${bob.id}`, 'DELETE')).status, 404);
});

test('user and token lists page with limit and an opaque cursor', async (t) => {
  const s = await startStack(t);
  const { call, addUser } = await asAdmin(s);
  for (const name of ['u1', 'u2', 'u3', 'u4']) await addUser(name, 'viewer');
  const seen: string[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const res = await call(`/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    const page = (await res.json()) as { items: UserJson[]; nextCursor: string | null };
    assert.ok(page.items.length <= 2);
    seen.push(...page.items.map((u) => u.username));
    cursor = page.nextCursor;
  }
  assert.deepEqual(seen, ['admin', 'u1', 'u2', 'u3', 'u4']);
  assert.equal((await call('/users?limit=0')).status, 400);
  assert.equal((await call('/users?limit=1001')).status, 400);
  assert.equal((await call('/users?cursor=nonsense')).status, 400);
  assert.equal((await call('/users?sort=name')).status, 400, 'unknown query keys are rejected');
  assert.equal((await call('/tokens?limit=5')).status, 200);
});

test('admins create, list and revoke tokens; the secret is shown once', async (t) => {
  const s = await startStack(t);
  const { call } = await asAdmin(s);
  const expiresAt = s.clock.now() + 86_400_000;
  const res = await call('/tokens', 'POST', { name: 'grafana', role: 'viewer', expiresAt });
  assert.equal(res.status, 201);
  const created = (await res.json()) as { token: TokenJson; secret: string };
  assert.match(created.secret, /^rw_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(created.token, {
    id: created.token.id,
    name: 'grafana',
    prefix: created.secret.slice(0, 10),
    role: 'viewer',
    userId: null,
    createdAt: s.clock.now(),
    expiresAt,
    lastUsedAt: null,
    revokedAt: null,
  });
  assert.equal((await s.api('/view', { headers: bearer(created.secret) })).status, 200);

  const listed = (await (await call('/tokens')).json()) as { items: TokenJson[]; nextCursor: string | null };
  assert.equal(listed.items.length, 1);
  assert.equal(listed.items[0]!.lastUsedAt, s.clock.now());
  assert.ok(!JSON.stringify(listed).includes(created.secret));

  assert.equal((await call('/tokens', 'POST', { name: '', role: 'viewer' })).status, 400);
  assert.equal((await call('/tokens', 'POST', { name: 'x', role: 'viewer', userId: 777 })).status, 404);
  assert.equal((await call('/tokens', 'POST', { name: 'x', role: 'viewer', expiresAt: 5 })).status, 400);

  assert.equal((await call(`/tokens/${created.token.id}`, 'DELETE')).status, 204);
  assert.equal((await s.api('/view', { headers: bearer(created.secret) })).status, 401);
  assert.equal((await call(`/tokens/${created.token.id}`, 'DELETE')).status, 204, 'idempotent');
  assert.equal((await call('/tokens/4242', 'DELETE')).status, 404);
  const after = (await (await call('/tokens')).json()) as { items: TokenJson[] };
  assert.equal(after.items[0]!.revokedAt, s.clock.now());
});

test('operators and viewers get 403 on every admin route; no credentials get 401', async (t) => {
  const s = await startStack(t);
  const { addUser } = await asAdmin(s);
  await addUser('otto', 'operator');
  const ottoCookie = await s.login('otto', 'otto password 1');
  const opToken = (await s.auth.createToken({ name: 'op', role: 'operator' })).token;
  const routes: [string, string, unknown?][] = [
    ['/users', 'GET'],
    ['/users', 'POST', { username: 'x1', password: 'long enough pw', role: 'admin' }],
    ['/users/1', 'PATCH', { role: 'viewer' }],
    ['/users/1', 'DELETE'],
    ['/tokens', 'GET'],
    ['/tokens', 'POST', { name: 'x', role: 'admin' }],
    ['/tokens/1', 'DELETE'],
  ];
  for (const [path, method, body] of routes) {
    for (const headers of [withCookie(ottoCookie), bearer(opToken)]) {
      const res = await s.api(path, { method, headers, ...(body !== undefined ? { body } : {}) });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(await errorCode(res), 'forbidden');
    }
    const anon = await s.api(path, { method, ...(body !== undefined ? { body } : {}) });
    assert.equal(anon.status, 401, `${method} ${path} anonymous`);
  }
  assert.equal((await s.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))!.n, 2, 'nothing created');
  assert.equal((await s.db.get<{ n: number }>('SELECT count(*) AS n FROM api_tokens'))!.n, 1);
});

test('the last enabled admin cannot be deleted, demoted or disabled (409); a second admin lifts that', async (t) => {
  const s = await startStack(t);
  const { call, addUser } = await asAdmin(s);
  const adminId = ((await (await call('/auth/me')).json()) as { user: UserJson }).user.id;
  for (const [method, body] of [
    ['DELETE', undefined],
    ['PATCH', { role: 'operator' }],
    ['PATCH', { disabled: true }],
  ] as const) {
    const res = await call(`/users/${adminId}`, method, body);
    assert.equal(res.status, 409, `${method} ${JSON.stringify(body)}`);
    assert.equal(await errorCode(res), 'conflict');
  }
  // A disabled admin does not count.
  const second = await addUser('root2', 'admin');
  assert.equal((await call(`/users/${second.id}`, 'PATCH', { disabled: true })).status, 200);
  assert.equal((await call(`/users/${adminId}`, 'DELETE')).status, 409);
  assert.equal((await call(`/users/${second.id}`, 'PATCH', { disabled: false })).status, 200);
  assert.equal((await call(`/users/${adminId}`, 'PATCH', { role: 'viewer' })).status, 200);
  assert.equal((await call('/users')).status, 403, 'the demoted admin lost admin rights at once');
});

test('disabling or deleting a user kills its sessions and tokens; a password change ends other sessions', async (t) => {
  const s = await startStack(t);
  const { call, cookie: adminCookie, addUser } = await asAdmin(s);
  const dora = await addUser('dora', 'operator');
  const doraCookie = await s.login('dora', 'dora password 1');
  const doraToken = (await s.auth.createToken({ name: 'dora-ci', role: 'operator', userId: dora.id })).token;
  assert.equal((await s.api('/ops', { headers: withCookie(doraCookie) })).status, 200);

  assert.equal((await call(`/users/${dora.id}`, 'PATCH', { disabled: true })).status, 200);
  assert.equal((await s.api('/ops', { headers: withCookie(doraCookie) })).status, 401);
  assert.equal((await s.api('/ops', { headers: bearer(doraToken) })).status, 401);
  const login = await s.api('/auth/login', { body: { username: 'dora', password: 'dora password 1' } });
  assert.equal(login.status, 401, 'a disabled user cannot log in');
  assert.equal(await errorCode(login), 'unauthenticated');
  assert.equal((await call(`/users/${dora.id}`, 'PATCH', { disabled: false })).status, 200);
  assert.equal((await s.api('/ops', { headers: bearer(doraToken) })).status, 401, 'tokens stay revoked');

  const again = await s.login('dora', 'dora password 1');
  const token2 = (await s.auth.createToken({ name: 'dora-2', role: 'viewer', userId: dora.id })).token;
  assert.equal((await call(`/users/${dora.id}`, 'DELETE')).status, 204);
  assert.equal((await s.api('/view', { headers: withCookie(again) })).status, 401);
  assert.equal((await s.api('/view', { headers: bearer(token2) })).status, 401);
  assert.equal(
    (await s.db.get<{ n: number }>('SELECT count(*) AS n FROM api_tokens WHERE user_id IS NOT NULL'))!.n,
    0,
  );

  // Password change: the admin's other session ends, the one that made the change survives.
  const otherAdminSession = await s.login('admin', ADMIN_PASSWORD);
  const adminId = ((await (await call('/auth/me')).json()) as { user: UserJson }).user.id;
  const newPassword = 'a brand new password';
  assert.equal((await call(`/users/${adminId}`, 'PATCH', { password: newPassword })).status, 200);
  assert.equal((await s.api('/view', { headers: withCookie(adminCookie) })).status, 200);
  assert.equal((await s.api('/view', { headers: withCookie(otherAdminSession) })).status, 401);
  assert.equal(
    (await s.api('/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status,
    401,
  );
  await s.login('admin', newPassword);
});

test('user and token changes are audited with the acting principal and no secrets', async (t) => {
  const s = await startStack(t);
  const { call, addUser } = await asAdmin(s);
  const eve = await addUser('eve', 'viewer', 'eve secret password');
  await call(`/users/${eve.id}`, 'PATCH', { password: 'eve newer password', role: 'operator' });
  const created = (await (await call('/tokens', 'POST', { name: 'bot', role: 'viewer' })).json()) as {
    token: TokenJson;
    secret: string;
  };
  await call(`/tokens/${created.token.id}`, 'DELETE');
  await call(`/users/${eve.id}`, 'DELETE');
  const { items } = await s.audit.list({ limit: 5 });
  assert.deepEqual(items.map((e) => [e.actor, e.action, e.target]).reverse(), [
    ['user:admin', 'user.create', 'user:eve'],
    ['user:admin', 'user.update', 'user:eve'],
    ['user:admin', 'token.create', 'token:bot'],
    ['user:admin', 'token.revoke', 'token:bot'],
    ['user:admin', 'user.delete', 'user:eve'],
  ]);
  assert.deepEqual(items[3]!.detail, { id: eve.id, role: 'operator', passwordChanged: true });
  const dump = JSON.stringify(await s.db.all('SELECT * FROM audit_log'));
  for (const secret of ['eve secret password', 'eve newer password', created.secret, ADMIN_PASSWORD])
    assert.ok(!dump.includes(secret), `audit log leaks ${secret}`);
});

test('ensureAdmin() generates a 24-char password once, stored only hashed, that logs in', async (t) => {
  const s = await startStack(t, {}, { generateAdmin: true });
  const password = s.generatedPassword!;
  assert.match(password, /^[A-Za-z0-9_-]{24}$/);
  assert.deepEqual(await s.auth.ensureAdmin(), { created: false });
  assert.deepEqual(await s.auth.ensureAdmin('another long password'), { created: false });
  assert.equal((await s.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))!.n, 1);

  const cookie = await s.login('admin', password);
  const me = (await (await s.api('/auth/me', { headers: withCookie(cookie) })).json()) as { user: UserJson };
  assert.deepEqual([me.user.username, me.user.role], ['admin', 'admin']);
  const row = await s.db.get<{ password_hash: string }>(
    "SELECT password_hash FROM users WHERE username = 'admin'",
  );
  assert.match(row!.password_hash, /^\$2[aby]\$04\$/);

  // Neither in the database file nor its WAL/SHM, while open and after closing (checkpoint).
  const grep = () => {
    const files = readdirSync(s.dir);
    assert.ok(files.includes('auth.db'));
    for (const file of files)
      assert.equal(readFileSync(join(s.dir, file)).indexOf(password), -1, `${file} contains the password`);
    // Control: the grep does see what is stored (the hash is there).
    assert.ok(files.some((f) => readFileSync(join(s.dir, f)).indexOf(row!.password_hash) !== -1));
  };
  grep();
  await s.db.close();
  grep();
});

test('ensureAdmin() with a given password enforces the password policy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-auth-ensure-'));
  const clock = manualClock();
  const db = await openDatabase(join(dir, 'a.db'), { clock });
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const auth = await createAuth({ db, clock }, { bcryptCost: 4 });
  await assert.rejects(auth.ensureAdmin('short'), /at least 12/);
  assert.deepEqual(await auth.ensureAdmin('long enough password'), { created: true });
  assert.deepEqual(await auth.ensureAdmin(), { created: false });
});
