/**
 * Backups as docs/operations.md describes them: `VACUUM INTO` from another connection while the server
 * crawls gives one consistent moment of the database, which opens (a crawl running at that moment becomes
 * aborted), and Ringwatch crawls on from it after a restore.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { systemClock } from '../../server/core/clock.js';
import { openPipeline, type OpenPipeline } from '../../server/pipeline/open.js';
import { startSimulator } from '../../server/sim/run.js';

function vacuumInto(file: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (err) => {
      if (err) return reject(err);
      db.exec(`VACUUM INTO '${target.replace(/'/g, "''")}'`, (e) =>
        db.close(() => (e ? reject(e) : resolve())),
      );
    });
  });
}

test('VACUUM INTO during a crawl: a consistent copy that opens and crawls on', async (t) => {
  const sim = await startSimulator({
    nodes: 12,
    seed: 41,
    latencyMs: 5,
    stabilizeMs: 100,
    bootstrap: 'converged',
  });
  const dir = mkdtempSync(join(tmpdir(), 'rw-backup-'));
  const file = join(dir, 'ringwatch.db');
  const copy = join(dir, 'backup.db');
  const backups: Promise<void>[] = [];
  const open = await openPipeline(
    { db: file, seeds: sim.seeds, timeoutMs: 3000 },
    {
      clock: systemClock(),
      emit: (e) => {
        if (e.type === 'crawl_started' && e.crawlId === 3) backups.push(vacuumInto(file, copy));
      },
    },
  );
  let restored: OpenPipeline | null = null;
  t.after(async () => {
    await open.close();
    await restored?.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await open.pipeline.run();
  await open.pipeline.run();
  const third = await open.pipeline.run();
  assert.equal(third.state, 'succeeded');
  assert.equal(backups.length, 1, 'the backup ran during crawl 3');
  await backups[0];

  restored = await openPipeline({ db: copy, seeds: sim.seeds, timeoutMs: 3000 }, { clock: systemClock() });
  const { db, store } = restored;
  assert.deepEqual(await db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  assert.equal(db.migrations.applied.length, 0, 'the copy is at the current schema');
  const crawls = await db.all<{ id: number; state: string; obs: number }>(
    `SELECT c.id, c.state, (SELECT count(*) FROM observations o WHERE o.crawl = c.id) AS obs
     FROM crawls c ORDER BY c.id`,
  );
  // Crawls 1 and 2 whole; crawl 3 either whole (the copy was taken after its commit) or aborted now.
  assert.deepEqual(
    crawls.slice(0, 2).map((c) => [c.state, c.obs]),
    [
      ['succeeded', 12],
      ['succeeded', 12],
    ],
  );
  assert.equal(crawls.length, 3);
  const c3 = crawls[2]!;
  assert.ok(
    (c3.state === 'aborted' && c3.obs === 0 && store.abortedOnOpen[0] === 3) ||
      (c3.state === 'succeeded' && c3.obs === 12 && store.abortedOnOpen.length === 0),
    JSON.stringify(c3),
  );
  const next = await restored.pipeline.run();
  assert.equal(next.state, 'succeeded');
  assert.equal(next.crawlId, 4);
});
