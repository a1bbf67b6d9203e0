import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { manualClock } from '../../server/core/clock.js';
import {
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  checksumOf,
  openDatabase,
} from '../../server/store/index.js';
import { tempDir } from './helpers.js';

const EXPECTED_TABLES = [
  'alert_events',
  'alerts',
  'api_tokens',
  'audit_log',
  'conn_rtt',
  'connections',
  'crawls',
  'detector_state',
  'endpoints',
  'findings',
  'log_pulls',
  'migrations',
  'node_facts',
  'nodes',
  'notifications',
  'observations',
  'ring_slots',
  'rollup_node',
  'rollup_progress',
  'rollup_ring',
  'sessions',
  'signals',
  'silences',
  'users',
];

void test('all migrations apply to a fresh file, are recorded, and re-opening applies nothing', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'fresh.db');
  const clock = manualClock(Date.UTC(2026, 2, 1));
  const files = readdirSync(DEFAULT_MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  assert.ok(files.length >= 1 && files[0] === '001_init.sql');

  const db = await openDatabase(file, { clock });
  assert.deepEqual(db.migrations, { version: files.length, applied: files.map((_, i) => i + 1) });
  const rows = await db.all<{ version: number; name: string; checksum: string; applied_at: number }>(
    'SELECT * FROM migrations ORDER BY version',
  );
  assert.deepEqual(
    rows.map((r) => `${String(r.version).padStart(3, '0')}_${r.name}.sql`),
    files,
  );
  assert.ok(rows.every((r) => r.applied_at === clock.now() && /^[0-9a-f]{64}$/.test(r.checksum)));
  const tables = (
    await db.all<{ name: string }>(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
  ).map((r) => r.name);
  assert.deepEqual(tables, EXPECTED_TABLES);
  assert.equal((await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version, files.length);
  const fk = await db.all('PRAGMA foreign_key_check');
  assert.deepEqual(fk, []);
  await db.close();

  const again = await openDatabase(file, { clock });
  assert.deepEqual(again.migrations, { version: files.length, applied: [] });
  await again.close();
});

void test('a changed applied migration is refused with a checksum error', async (t) => {
  const dir = tempDir(t);
  const migrations = join(dir, 'migrations');
  cpSync(DEFAULT_MIGRATIONS_DIR, migrations, { recursive: true });
  const file = join(dir, 'db.sqlite');
  await (await openDatabase(file, { migrationsDir: migrations })).close();

  appendFileSync(join(migrations, '001_init.sql'), '\n-- an innocent-looking edit\n');
  await assert.rejects(openDatabase(file, { migrationsDir: migrations }), (err: unknown) => {
    assert.ok(err instanceof MigrationError);
    assert.equal(err.code, 'checksum_mismatch');
    assert.match(err.message, /migration 001_init\.sql was changed after it was applied/);
    return true;
  });
});

void test('line-ending changes alone do not count as a change', () => {
  assert.equal(checksumOf('a;\nb;\n'), checksumOf('a;\r\nb;\r\n'));
});

void test('a database newer than the code is refused', async (t) => {
  const dir = tempDir(t);
  const newer = join(dir, 'newer');
  const older = join(dir, 'older');
  cpSync(DEFAULT_MIGRATIONS_DIR, newer, { recursive: true });
  cpSync(DEFAULT_MIGRATIONS_DIR, older, { recursive: true });
  const next = String(readdirSync(newer).filter((f) => f.endsWith('.sql')).length + 1).padStart(3, '0');
  writeFileSync(join(newer, `${next}_extra_table.sql`), 'CREATE TABLE extra (x INTEGER);\n');
  const file = join(dir, 'db.sqlite');
  const db = await openDatabase(file, { migrationsDir: newer });
  assert.equal(db.migrations.applied.at(-1), Number(next));
  await db.close();

  await assert.rejects(openDatabase(file, { migrationsDir: older }), (err: unknown) => {
    assert.ok(err instanceof MigrationError);
    assert.equal(err.code, 'database_newer');
    assert.match(err.message, new RegExp(`has migration ${next}_extra_table .* newer than the code`));
    return true;
  });
});

void test('badly numbered files and failing SQL are refused; a failed migration leaves nothing behind', async (t) => {
  const dir = tempDir(t);
  const gap = join(dir, 'gap');
  mkdirSync(gap);
  writeFileSync(join(gap, '001_a.sql'), 'CREATE TABLE a (x);');
  writeFileSync(join(gap, '003_c.sql'), 'CREATE TABLE c (x);');
  await assert.rejects(openDatabase(join(dir, 'gap.db'), { migrationsDir: gap }), /expected version 002/);

  const badName = join(dir, 'name');
  mkdirSync(badName);
  writeFileSync(join(badName, '1_a.sql'), 'CREATE TABLE a (x);');
  await assert.rejects(
    openDatabase(join(dir, 'name.db'), { migrationsDir: badName }),
    /not named NNN_name\.sql/,
  );

  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, '001_ok.sql'), 'CREATE TABLE ok (x);');
  writeFileSync(join(broken, '002_bad.sql'), 'CREATE TABLE half (x); CREATE TABLE ok (y);');
  const file = join(dir, 'broken.db');
  await assert.rejects(openDatabase(file, { migrationsDir: broken }), /table ok already exists/);
  writeFileSync(join(broken, '002_bad.sql'), 'CREATE TABLE half (x);');
  const db = await openDatabase(file, { migrationsDir: broken });
  assert.deepEqual(db.migrations.applied, [2], '001 stayed applied, 002 was rolled back and re-applied');
  await db.close();
});
