/**
 * `ringwatch start` as an operator runs it: a real process with the embedded simulator, configured from
 * the environment and flags; clear errors for bad configuration; clean exit on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../server/store/index.js';
import { systemClock } from '../../server/core/clock.js';

const BIN = join(import.meta.dirname, '../../bin/ringwatch.js');

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

test('bad configuration stops the start with a message naming the key and its source', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = run(['start', '--db', join(dir, 'a.db')], { RINGWATCH_CRAWL_CONCURRENCY: 'abc' });
  assert.equal(await env.exited, 2);
  assert.match(env.stderr(), /crawl\.concurrency \(from RINGWATCH_CRAWL_CONCURRENCY\)/);

  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'crawl:\n  timeoutMs: -5\n  bogus: 1\n');
  const yaml = run(['start', '--config', file, '--db', join(dir, 'b.db')]);
  assert.equal(await yaml.exited, 2);
  assert.match(yaml.stderr(), /crawl\.timeoutMs/);
  assert.match(yaml.stderr(), /bogus/);

  const missing = run(['start', '--config', join(dir, 'nope.yaml')]);
  assert.equal(await missing.exited, 2);
  assert.match(missing.stderr(), /nope\.yaml/);
});

test('start serves the API over the embedded simulator, crawls on schedule, and stops cleanly on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'rw.db');
  const p = run(['start', '--port', '0', '--db', db, '--sim', '30', '--schedule', '*/2 * * * * *'], {
    RINGWATCH_ADMIN_PASSWORD: 'a-long-enough-admin-password',
    RINGWATCH_LOG_LEVEL: 'warn',
  });
  t.after(() => p.child.kill('SIGKILL'));
  let url = '';
  for (let i = 0; i < 300 && !url; i++) {
    url = /Ringwatch is up: (http:\/\/[^/\s]+)/.exec(p.stderr())?.[1] ?? '';
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(url, `no URL printed: ${p.stderr()}`);
  assert.doesNotMatch(p.stderr(), /generated|password/i, 'no generated password when one is configured');

  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'a-long-enough-admin-password' }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  let summary: { reachable: number; lastCrawl: { id: number } | null } = { reachable: 0, lastCrawl: null };
  for (let i = 0; i < 200 && (!summary.lastCrawl || summary.reachable < 30); i++) {
    summary = (await (
      await fetch(`${url}/api/v1/summary`, { headers: { cookie } })
    ).json()) as typeof summary;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(summary.reachable, 30);

  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  const d = await openDatabase(db, { clock: systemClock() });
  try {
    const running = await d.get<{ n: number }>("SELECT count(*) AS n FROM crawls WHERE state = 'running'");
    assert.equal(running?.n, 0);
  } finally {
    await d.close();
  }
});
