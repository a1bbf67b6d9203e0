/**
 * Crash safety of migrations: a worker (worker.ts --mode migrate) opens a database with a migrations
 * directory and is SIGKILLed at a random moment (seeded, see kill.test.ts). Afterwards the database must be
 * exactly at one version, never between two: its schema is byte for byte the schema of a database migrated
 * cleanly to that version, user_version agrees with the migrations table, and it opens (finishing the
 * migrations) cleanly. Two cases: an existing database at the current version gets a slow, large extra
 * migration (copied beside the real ones into a temp dir); and a fresh file gets all the real ones.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { createPrng } from '../../server/sim/engine/prng.js';
import { createStore, DEFAULT_MIGRATIONS_DIR, openDatabase } from '../../server/store/index.js';
import { steppedClock } from './clock.js';
import {
  buildWorker,
  crashSeed,
  sleep,
  startWorker,
  type BuiltWorker,
  type WorkerProcess,
} from './harness.js';

const RUNS_EXISTING = 8;
const RUNS_FRESH = 10;
const BULK_ROWS = 40_000;
/** A slow, large migration: a table of BULK_ROWS rows with an index, and a change to an existing table. */
const BULK_SQL = `CREATE TABLE crash_bulk (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${BULK_ROWS})
INSERT INTO crash_bulk (id, payload) SELECT i, printf('%040d-%s', i, hex(randomblob(8))) FROM n;
CREATE INDEX crash_bulk_payload ON crash_bulk (payload);
ALTER TABLE crawls ADD COLUMN crash_note TEXT;
UPDATE crawls SET crash_note = 'migrated';
`;

interface Inspection {
  integrity: string;
  /** Newest version in the migrations table (0: none or no table). */
  version: number;
  userVersion: number;
  schema: string;
}

function query<T>(db: sqlite3.Database, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) =>
    db.all(sql, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))),
  );
}

/** Reads a database as it is, without the store (which would finish its migrations). */
async function inspect(file: string): Promise<Inspection> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    // OPEN_CREATE: a kill before the worker created the file leaves none, which reads as empty.
    const d: sqlite3.Database = new sqlite3.Database(
      file,
      sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE,
      (err) => (err ? reject(err) : resolve(d)),
    );
  });
  try {
    const integrity = (await query<{ integrity_check: string }>(db, 'PRAGMA integrity_check'))
      .map((r) => r.integrity_check)
      .join('; ');
    const objects = await query<{ type: string; name: string; sql: string | null }>(
      db,
      `SELECT type, name, sql FROM sqlite_master ORDER BY type, name`,
    );
    const hasTable = objects.some((o) => o.type === 'table' && o.name === 'migrations');
    const top = hasTable
      ? (await query<{ v: number | null }>(db, 'SELECT max(version) AS v FROM migrations'))[0]?.v
      : null;
    const uv = (await query<{ user_version: number }>(db, 'PRAGMA user_version'))[0]?.user_version ?? 0;
    return { integrity, version: top ?? 0, userVersion: uv, schema: JSON.stringify(objects) };
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/** Schemas of databases migrated cleanly to versions 0..n (index = version). */
async function schemas(dir: string, migrationsDir: string): Promise<string[]> {
  const files = readdirSync(migrationsDir).sort();
  const out: string[] = [];
  for (let v = 0; v <= files.length; v++) {
    const sub = join(dir, `upto-${v}`);
    mkdirSync(sub);
    for (const f of files.slice(0, v)) copyFileSync(join(migrationsDir, f), join(sub, f));
    const file = join(dir, `schema-${v}.db`);
    const db = await openDatabase(file, { migrationsDir: sub, clock: steppedClock() });
    await db.close();
    out.push((await inspect(file)).schema);
  }
  return out;
}

describe('SIGKILL while migrating', () => {
  let worker: BuiltWorker;
  let dir: string;
  /** Copies of the real migrations; `plus` adds the bulk migration after them. */
  let real: string;
  let plus: string;
  let expected: string[];
  let current: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-crash-mig-'));
    worker = await buildWorker();
    real = join(dir, 'migrations');
    plus = join(dir, 'migrations-plus');
    mkdirSync(real);
    mkdirSync(plus);
    const files = readdirSync(DEFAULT_MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'));
    for (const f of files) {
      copyFileSync(join(DEFAULT_MIGRATIONS_DIR, f), join(real, f));
      copyFileSync(join(DEFAULT_MIGRATIONS_DIR, f), join(plus, f));
    }
    current = files.length;
    writeFileSync(join(plus, `${String(current + 1).padStart(3, '0')}_crash_bulk.sql`), BULK_SQL);
    expected = await schemas(dir, plus);
  });
  after(() => {
    worker?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = (file: string, migrations: string) =>
    startWorker(worker.file, ['--mode', 'migrate', '--db', file, '--migrations', migrations, '--gate']);

  /** Lets a started worker migrate; kills it `delay` ms later, or waits for it to finish (delay null). */
  async function migrateAndKill(w: WorkerProcess, delay: number | null): Promise<number> {
    await w.waitForLine(/^loaded$/, 60_000);
    const t0 = Date.now();
    w.go();
    if (delay === null) {
      await w.waitForLine(/^migrated /, 60_000);
      assert.deepEqual(await w.exited, { code: 0, signal: null }, w.stderr());
      return Date.now() - t0;
    }
    await sleep(delay);
    await w.kill();
    return Date.now() - t0;
  }

  /**
   * Exactly at one version, with that version's schema; then it opens cleanly with `migrations` and is
   * complete (with the bulk table, and its `crawls` crawls rewritten, when that includes the bulk one).
   */
  async function checkAndFinish(
    file: string,
    migrations: string,
    allowed: (v: number) => boolean,
    crawls = 0,
  ): Promise<number> {
    const seen = await inspect(file);
    assert.equal(seen.integrity, 'ok');
    assert.ok(allowed(seen.version), `version ${seen.version}`);
    assert.equal(seen.userVersion, seen.version, 'user_version disagrees with the migrations table');
    const empty = seen.version === 0 && seen.schema === '[]'; // killed before anything was written
    if (!empty) assert.equal(seen.schema, expected[seen.version], `schema is not that of v${seen.version}`);
    const db = await openDatabase(file, { migrationsDir: migrations, clock: steppedClock() });
    try {
      const top = migrations === plus ? current + 1 : current;
      assert.equal(db.migrations.version, top);
      assert.deepEqual(
        db.migrations.applied,
        Array.from({ length: top - seen.version }, (_, i) => seen.version + 1 + i),
      );
      assert.deepEqual(await db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
      if (migrations === plus) {
        assert.deepEqual(await db.get('SELECT count(*) AS n FROM crash_bulk'), { n: BULK_ROWS });
        assert.deepEqual(
          await db.all('SELECT crash_note, count(*) AS n FROM crawls GROUP BY crash_note'),
          crawls === 0 ? [] : [{ crash_note: 'migrated', n: crawls }],
        );
      }
    } finally {
      await db.close();
    }
    return seen.version;
  }

  test('an existing database gets a large migration: old or new version, never between', async (t) => {
    const seed = crashSeed();
    t.diagnostic(`seed ${seed} (replay with RINGWATCH_CRASH_SEED=${seed})`);
    const rnd = createPrng(seed);
    const base = join(dir, 'base.db');
    const db = await openDatabase(base, { migrationsDir: real, clock: steppedClock() });
    const store = await createStore(db, db.clock);
    for (let i = 0; i < 3; i++) {
      await store.finishCrawl(await store.beginCrawl({ strategy: 'parallel' }), { state: 'failed' });
    }
    await db.close();
    const copy = (name: string) => {
      const f = join(dir, name);
      copyFileSync(base, f);
      return f;
    };
    // One run to the end measures how long the migration takes, to spread the kills over it.
    const calibrate = copy('calibrate.db');
    const full = await migrateAndKill(start(calibrate, plus), null);
    assert.equal(await checkAndFinish(calibrate, plus, (v) => v === current + 1, 3), current + 1);

    const outcome = { old: 0, new: 0 };
    let next = start(copy('run-0.db'), plus);
    for (let run = 0; run < RUNS_EXISTING; run++) {
      const delay = Math.round(rnd.range(0.2, 1.3) * full);
      const w = next;
      // The next worker loads (gated) while this one migrates and its database is checked.
      if (run + 1 < RUNS_EXISTING) next = start(copy(`run-${run + 1}.db`), plus);
      await migrateAndKill(w, delay);
      const file = join(dir, `run-${run}.db`);
      try {
        const v = await checkAndFinish(file, plus, (x) => x === current || x === current + 1, 3);
        outcome[v === current ? 'old' : 'new']++;
      } catch (err) {
        await next.kill();
        throw new Error(`run ${run} (seed ${seed}, killed +${delay} ms): ${String(err)}`, { cause: err });
      }
      rmSync(file, { force: true });
    }
    t.diagnostic(
      `runs ${RUNS_EXISTING}, failures 0: killed at v${current} ${outcome.old}, at v${current + 1} ` +
        `${outcome.new} (the migration takes ~${full} ms)`,
    );
  });

  test('a fresh file gets every migration: always exactly at one version', async (t) => {
    const seed = crashSeed();
    t.diagnostic(`seed ${seed} (replay with RINGWATCH_CRASH_SEED=${seed})`);
    const rnd = createPrng(seed);
    const fresh = (n: number | string) => start(join(dir, `fresh-${n}.db`), real);
    const full = await migrateAndKill(fresh('calibrate'), null);
    const versions = new Map<number, number>();
    let next = fresh(0);
    for (let run = 0; run < RUNS_FRESH; run++) {
      // Loaded and timed, the worker still takes a varying while to start: spread the kills wide.
      const delay = Math.round(rnd.range(0, 1.2) * full);
      const w = next;
      if (run + 1 < RUNS_FRESH) next = fresh(run + 1);
      await migrateAndKill(w, delay);
      try {
        const v = await checkAndFinish(join(dir, `fresh-${run}.db`), real, (x) => x >= 0 && x <= current);
        versions.set(v, (versions.get(v) ?? 0) + 1);
      } catch (err) {
        await next.kill();
        throw new Error(`run ${run} (seed ${seed}, killed +${delay} ms): ${String(err)}`, { cause: err });
      }
    }
    const spread = [...versions].sort((a, b) => a[0] - b[0]).map(([v, n]) => `v${v}×${n}`);
    t.diagnostic(`runs ${RUNS_FRESH}, failures 0: killed at ${spread.join(' ')} (all take ~${full} ms)`);
  });
});
