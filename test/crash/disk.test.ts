/**
 * Disk full and read-only database. A full disk is simulated with PRAGMA max_page_count at the database's
 * current size (after VACUUM, so no free page or half-empty leaf is left to write into); a read-only
 * database with PRAGMA query_only (we run as root, so chmod would not stop a write). In both cases the crawl
 * fails with SQLite's own code in the error (SQLITE_FULL / SQLITE_READONLY), nothing of it is half-written,
 * and once the condition clears the next crawl succeeds and the detectors go on from where they were.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../server/core/clock.js';
import type { PipelineEvent } from '../../server/pipeline/crawl-pipeline.js';
import { openPipeline, type OpenPipeline } from '../../server/pipeline/open.js';
import { startSimulator, type Simulator } from '../../server/sim/run.js';
import { openDatabase, type Database } from '../../server/store/index.js';
import { sleep } from './harness.js';

/** Tables a crawl writes besides `crawls`; none may change when its recording fails. */
const RECORDED = [
  'observations',
  'nodes',
  'endpoints',
  'findings',
  'ring_slots',
  'connections',
  'node_facts',
  'signals',
  'detector_state',
  'conn_rtt',
];
/** SQLite's upper bound for max_page_count: no limit in practice. */
const NO_LIMIT = 4294967294;

interface Fixture {
  sim: Simulator;
  file: string;
  open: OpenPipeline;
  faultyNode: string;
  /** Called for every pipeline event of the current pipeline. */
  onEvent: ((e: PipelineEvent) => void) | null;
  reopen(): Promise<OpenPipeline>;
}

async function fixture(t: TestContext, seed: number): Promise<Fixture> {
  const sim = await startSimulator({
    nodes: 20,
    seed,
    latencyMs: 5,
    stabilizeMs: 100,
    bootstrap: 'converged',
  });
  const r = sim.ring.injectFault({ kind: 'stale-neighbor', node: 4, side: 'right', peer: 12 });
  if (!r.ok) throw new Error(`inject: ${r.error.message}`);
  await sleep(500);
  const dir = mkdtempSync(join(tmpdir(), 'rw-disk-'));
  const file = join(dir, 'ringwatch.db');
  const f: Fixture = {
    sim,
    file,
    faultyNode: r.fault.targetIds[0]!,
    onEvent: null,
    open: null as unknown as OpenPipeline,
    async reopen() {
      await f.open?.close();
      f.open = await openPipeline(
        { db: file, seeds: sim.seeds, timeoutMs: 3000 },
        { clock: systemClock(), emit: (e) => f.onEvent?.(e) },
      );
      return f.open;
    },
  };
  await f.reopen();
  t.after(async () => {
    await f.open.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return f;
}

/** Everything a crawl records, to compare before and after a failed one. */
async function recorded(db: Database): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of RECORDED) out[table] = await db.all(`SELECT * FROM ${table}`);
  out.crawls = await db.all(`SELECT * FROM crawls WHERE data != 'none' ORDER BY id`);
  return out;
}

/**
 * A disk about to be full: the database may grow by a few pages only, and each write to the given tables
 * (`table:INSERT` or `table:UPDATE`) needs 1 MiB more, so the first of them is refused with SQLITE_FULL
 * whatever room is left in the pages it touches; other writes fit.
 */
async function fillDisk(db: Database, writes: string[]): Promise<void> {
  await db.exec('CREATE TABLE IF NOT EXISTS disk_filler (b BLOB)');
  for (const w of writes) {
    const [table, op] = w.split(':') as [string, string];
    await db.exec(
      `CREATE TRIGGER disk_full_${table}_${op} AFTER ${op} ON ${table}
       BEGIN INSERT INTO disk_filler VALUES (zeroblob(1048576)); END`,
    );
  }
  const { page_count } = (await db.get<{ page_count: number }>('PRAGMA page_count'))!;
  await db.get(`PRAGMA max_page_count = ${page_count + 16}`);
}

/** Room again: no size limit, no growing writes. */
async function clearDisk(db: Database): Promise<void> {
  const triggers = await db.all<{ name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB 'disk_full_*'`,
  );
  for (const { name } of triggers) await db.exec(`DROP TRIGGER ${name}`);
  await db.get(`PRAGMA max_page_count = ${NO_LIMIT}`);
}

const sqliteError = (code: string) => (err: unknown) => {
  const e = err as Error & { code?: string };
  assert.equal(e.code, code, String(err));
  assert.match(e.message, new RegExp(`^${code}: `));
  return true;
};

async function crawlRow(db: Database, id: number) {
  return db.get<{ state: string; reason: string | null; data: string }>(
    'SELECT state, reason, data FROM crawls WHERE id = ?',
    [id],
  );
}

test('disk full while recording: SQLITE_FULL, nothing half-written, then the next crawl goes on', async (t) => {
  const f = await fixture(t, 31);
  const { db } = f.open;
  await f.open.pipeline.run();
  const s2 = await f.open.pipeline.run();
  assert.equal(s2.state, 'succeeded');
  assert.deepEqual(s2.persistentInconsistent, [], 'streak 2 of 3');

  // The crawl's row still fits; recording it does not, nor does marking it failed.
  await fillDisk(db, ['observations:INSERT', 'crawls:UPDATE']);
  const before = await recorded(db);
  await assert.rejects(f.open.pipeline.run(), sqliteError('SQLITE_FULL'));
  assert.deepEqual(await recorded(db), before, 'a failed crawl changed recorded data');
  const stuck = s2.crawlId + 1;
  assert.deepEqual(await crawlRow(db, stuck), { state: 'running', reason: null, data: 'none' });
  await assert.rejects(f.open.pipeline.run(), sqliteError('SQLITE_FULL'), 'still full: still refused');
  assert.deepEqual(await recorded(db), before);

  // Room again: the next run() first marks what it could not as failed, then crawls on.
  await clearDisk(db);
  const s4 = await f.open.pipeline.run();
  assert.equal(s4.state, 'succeeded');
  assert.deepEqual(s4.persistentInconsistent, [f.faultyNode], 'the streak went on: 2 + this one = 3');
  const failed = await db.all<{ state: string; reason: string }>(
    'SELECT state, reason FROM crawls WHERE id > ? AND id < ?',
    [s2.crawlId, s4.crawlId],
  );
  assert.ok(failed.length >= 1);
  for (const c of failed) {
    assert.equal(c.state, 'failed');
    assert.match(c.reason, /^storage error while recording: SQLITE_FULL: database or disk is full/);
  }
  assert.deepEqual(await db.all(`SELECT id FROM crawls WHERE state = 'running'`), []);
  assert.deepEqual(await db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
});

test('disk full before a crawl begins: refused at its first row, nothing written', async (t) => {
  const f = await fixture(t, 32);
  const { db } = f.open;
  const s1 = await f.open.pipeline.run();
  await fillDisk(db, ['crawls:INSERT']);
  const before = await recorded(db);
  await assert.rejects(f.open.pipeline.run(), sqliteError('SQLITE_FULL'));
  assert.deepEqual(await recorded(db), before);
  assert.deepEqual(await db.all('SELECT id FROM crawls WHERE id > ?', [s1.crawlId]), []);

  await clearDisk(db);
  const s2 = await f.open.pipeline.run();
  assert.equal(s2.state, 'succeeded');
  assert.equal(s2.crawlId, s1.crawlId + 1);
  assert.deepEqual(await db.all(`SELECT id FROM crawls WHERE state = 'running'`), []);
  assert.equal((await f.open.store.nodeLatest(f.faultyNode))?.state, 'inconsistent');
});

test('read-only database: SQLITE_READONLY, nothing written; reopened writable it goes on', async (t) => {
  const f = await fixture(t, 33);
  await f.open.pipeline.run();
  const s2 = await f.open.pipeline.run();
  assert.deepEqual(s2.persistentInconsistent, []);

  // Read-only from the start: the crawl's first write is refused; no row at all.
  await f.open.db.exec('PRAGMA query_only = 1');
  const before = await recorded(f.open.db);
  await assert.rejects(f.open.pipeline.run(), sqliteError('SQLITE_READONLY'));
  assert.deepEqual(await f.open.db.all('SELECT id FROM crawls WHERE id > ?', [s2.crawlId]), []);
  await f.open.db.exec('PRAGMA query_only = 0');

  // Read-only in the middle of a crawl: recording is refused, and so is marking the crawl failed.
  const db = f.open.db;
  f.onEvent = (e) => {
    if (e.type === 'crawl_started') void db.exec('PRAGMA query_only = 1');
  };
  await assert.rejects(f.open.pipeline.run(), sqliteError('SQLITE_READONLY'));
  f.onEvent = null;
  assert.deepEqual(await recorded(db), before, 'a refused crawl changed recorded data');
  const stuck = s2.crawlId + 1;
  assert.equal((await crawlRow(db, stuck))?.state, 'running');

  // The operator makes the database writable and restarts: the stuck crawl is aborted at open.
  const reopened = await f.reopen();
  assert.deepEqual(reopened.store.abortedOnOpen, [stuck]);
  const s4 = await reopened.pipeline.run();
  assert.equal(s4.state, 'succeeded');
  assert.deepEqual(s4.persistentInconsistent, [f.faultyNode], 'the streak went on: 2 + this one = 3');
  assert.deepEqual(await reopened.db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
});

test('store: SQLITE_FULL in a savepoint names SQLITE_FULL, and nothing runs on outside the transaction', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-disk-'));
  const db = await openDatabase(join(dir, 'full.db'), { clock: systemClock() });
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await db.exec('CREATE TABLE t (x BLOB)');
  const { page_count } = (await db.get<{ page_count: number }>('PRAGMA page_count'))!;
  await db.get(`PRAGMA max_page_count = ${page_count}`);
  // A one-row insert that needs pages: SQLite rolls back the whole transaction, savepoint and all.
  const big = () => db.transaction(() => db.run('INSERT INTO t VALUES (randomblob(200000))'));
  await assert.rejects(
    db.transaction(async () => {
      await db.run('INSERT INTO t VALUES (1)');
      await big();
    }),
    sqliteError('SQLITE_FULL'),
  );
  // Code that swallows the error and writes on must not write outside the (gone) transaction.
  await assert.rejects(
    db.transaction(async () => {
      await db.run('INSERT INTO t VALUES (2)');
      await big().catch(() => undefined);
      await db.run('INSERT INTO t VALUES (3)');
    }),
    /transaction was rolled back by SQLite/,
  );
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 });
  await db.get(`PRAGMA max_page_count = ${NO_LIMIT}`);
  await db.transaction(async () => {
    await db.run('INSERT INTO t VALUES (4)');
    await big();
  });
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 2 });
});
