/** `ringwatch token …` and `ringwatch user …` as an operator runs them, against a live server's database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { bearer, errorCode, startStack } from './helpers.js';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function ringwatch(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const env = { ...process.env, ...opts.env };
  if (!opts.env?.RINGWATCH_USER_PASSWORD) delete env.RINGWATCH_USER_PASSWORD;
  const child = spawn(process.execPath, ['bin/ringwatch.js', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin.end(opts.stdin ?? '');
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, out, err }));
}

test('`token create` prints only the secret, which works against the running app; list and revoke', async (t) => {
  const s = await startStack(t);
  const created = await ringwatch([
    'token',
    'create',
    '--role',
    'viewer',
    '--name',
    'probe',
    '--db',
    s.dbFile,
  ]);
  assert.equal(created.code, 0, created.err);
  assert.match(created.out, /^rw_[A-Za-z0-9_-]{43}\n$/, 'stdout is exactly the token');
  assert.match(created.err, /created token 1 "probe" \(viewer/);
  const token = created.out.trim();

  const view = await s.api('/view', { headers: bearer(token) });
  assert.equal(view.status, 200);
  assert.equal((await s.api('/ops', { headers: bearer(token) })).status, 403);

  // Independent runs in parallel: the CLI's start-up dominates these tests' time.
  const [expiring, bad] = await Promise.all([
    ringwatch(['token', 'create', '--role', 'operator', '--expires-days', '2', '--db', s.dbFile]),
    ringwatch(['token', 'create', '--role', 'root', '--db', s.dbFile]),
  ]);
  assert.equal(expiring.code, 0, expiring.err);
  assert.notEqual(bad.code, 0);
  assert.equal(bad.out, '');
  assert.match(bad.err, /--role/);

  const listed = await ringwatch(['token', 'list', '--json', '--db', s.dbFile]);
  assert.equal(listed.code, 0, listed.err);
  assert.ok(!listed.out.includes(token), 'list never shows secrets');
  const items = JSON.parse(listed.out) as {
    id: number;
    name: string;
    prefix: string;
    createdAt: number;
    expiresAt: number | null;
  }[];
  assert.deepEqual(
    items.map((i) => [i.id, i.name, i.prefix.length]),
    [
      [1, 'probe', 10],
      [2, 'cli', 10],
    ],
  );
  assert.equal(items[0]!.expiresAt, null);
  const lifetime = items[1]!.expiresAt! - items[1]!.createdAt;
  assert.ok(Math.abs(lifetime - 2 * 86_400_000) < 60_000, `expires ${lifetime} ms after creation`);

  const revoked = await ringwatch(['token', 'revoke', '1', '--db', s.dbFile]);
  assert.equal(revoked.code, 0, revoked.err);
  const after = await s.api('/view', { headers: bearer(token) });
  assert.equal(after.status, 401);
  assert.equal(await errorCode(after), 'unauthenticated');
  const [again, table] = await Promise.all([
    ringwatch(['token', 'revoke', '1', '--db', s.dbFile]),
    ringwatch(['token', 'list', '--db', s.dbFile]),
  ]);
  assert.equal(again.code, 1, 'already revoked');
  assert.match(table.out, /^id\tprefix\trole.*\n1\trw_\S+…\tviewer\tprobe\t.*\trevoked\n2\t/s);

  const audit = await s.db.all<{ actor: string; action: string; detail: string }>(
    "SELECT actor, action, detail FROM audit_log WHERE actor = 'cli' ORDER BY id",
  );
  assert.deepEqual(
    audit.map((a) => a.action),
    ['token.create', 'token.create', 'token.revoke'],
  );
  assert.ok(!JSON.stringify(audit).includes(token));
});

test('`user add` / `user passwd` take the password from stdin or the environment, never argv', async (t) => {
  const s = await startStack(t);
  const added = await ringwatch(
    ['user', 'add', 'nina', '--role', 'operator', '--password-stdin', '--db', s.dbFile],
    {
      stdin: 'nina first password\n',
    },
  );
  assert.equal(added.code, 0, added.err);
  const cookie = await s.login('nina', 'nina first password');
  assert.equal((await s.api('/ops', { headers: { cookie } })).status, 200);

  const changed = await ringwatch(['user', 'passwd', 'nina', '--db', s.dbFile], {
    env: { RINGWATCH_USER_PASSWORD: 'nina second password' },
  });
  assert.equal(changed.code, 0, changed.err);
  assert.equal((await s.api('/ops', { headers: { cookie } })).status, 401, 'old sessions end');
  await s.login('nina', 'nina second password');

  const pw = { RINGWATCH_USER_PASSWORD: 'whatever password' };
  const [noPassword, short, dup, unknown] = await Promise.all([
    ringwatch(['user', 'passwd', 'nina', '--db', s.dbFile]),
    ringwatch(['user', 'add', 'olaf', '--role', 'viewer', '--password-stdin', '--db', s.dbFile], {
      stdin: 'short',
    }),
    ringwatch(['user', 'add', 'NINA', '--role', 'viewer', '--db', s.dbFile], { env: pw }),
    ringwatch(['user', 'passwd', 'ghost', '--db', s.dbFile], { env: pw }),
  ]);
  assert.equal(noPassword.code, 2);
  assert.match(noPassword.err, /--password-stdin/);
  assert.equal(short.code, 2);
  assert.match(short.err, /at least 12/);
  assert.equal(dup.code, 1);
  assert.match(dup.err, /already exists/);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no user ghost/);

  const list = await ringwatch(['user', 'list', '--json', '--db', s.dbFile]);
  const users = JSON.parse(list.out) as { username: string; role: string }[];
  assert.deepEqual(
    users.map((u) => [u.username, u.role]),
    [
      ['admin', 'admin'],
      ['nina', 'operator'],
    ],
  );
  const dump = JSON.stringify(await s.db.all('SELECT * FROM audit_log'));
  assert.ok(!dump.includes('nina first password') && !dump.includes('nina second password'));
});
