/** `ringwatch crawl` as an operator runs it: real processes, real files (`ringwatch start`: test/server/cli.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../server/sim/run.js';
import type { CrawlSummary } from '../../server/pipeline/crawl-pipeline.js';

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['bin/ringwatch.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, out, err }));
}

test('`ringwatch crawl --json` prints the summary, and repeated runs on one --db build history', async (t) => {
  const sim = await startSimulator({ nodes: 20, latencyMs: 5, stabilizeMs: 100, bootstrap: 'converged' });
  const dir = mkdtempSync(join(tmpdir(), 'rw-cli-'));
  t.after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const db = join(dir, 'r.db');
  const args = ['crawl', '--seed', sim.seeds[0]!, '--db', db, '--json'];
  const first = await run(args);
  assert.equal(first.code, 0, first.err);
  const a = JSON.parse(first.out) as CrawlSummary;
  for (const key of [
    'crawlId',
    'state',
    'durationMs',
    'discovered',
    'reachable',
    'unreachable',
    'rings',
    'consistency',
    'findings',
    'errors',
    'persistentInconsistent',
    'stalledThreads',
    'lost',
  ])
    assert.ok(key in a, `summary has ${key}`);
  assert.deepEqual([a.crawlId, a.state, a.reachable, a.rings, a.consistency], [1, 'succeeded', 20, 1, 1]);
  const second = JSON.parse((await run(args)).out) as CrawlSummary;
  assert.equal(second.crawlId, 2);

  const walk = JSON.parse(
    (await run(['crawl', '--seed', sim.seeds[0]!, '--strategy', 'ring-walk', '--json'])).out,
  ) as CrawlSummary;
  assert.deepEqual([walk.strategy, walk.reachable], ['ring-walk', 20]);

  const bad = await run(['crawl', '--seed', sim.seeds[0]!, '--strategy', 'sideways']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--strategy/);
  const dead = await run(['crawl', '--seed', 'http://127.0.0.1:1', '--json']);
  assert.equal(dead.code, 1);
  assert.equal((JSON.parse(dead.out) as CrawlSummary).state, 'failed');
});
