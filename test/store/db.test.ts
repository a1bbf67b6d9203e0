import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase } from '../../server/store/index.js';
import { isReadOnlySql } from '../../server/store/readers.js';
import { tempDir } from './helpers.js';

void test('pragmas: WAL, busy_timeout 5 s, foreign keys on, synchronous NORMAL', async (t) => {
  const db = await openDatabase(join(tempDir(t), 'p.db'));
  t.after(() => db.close());
  assert.equal((await db.get<{ journal_mode: string }>('PRAGMA journal_mode'))?.journal_mode, 'wal');
  assert.equal((await db.get<{ timeout: number }>('PRAGMA busy_timeout'))?.timeout, 5000);
  assert.equal((await db.get<{ foreign_keys: number }>('PRAGMA foreign_keys'))?.foreign_keys, 1);
  assert.equal((await db.get<{ synchronous: number }>('PRAGMA synchronous'))?.synchronous, 1);
});

void test('run/get/all/exec and prepared statements', async (t) => {
  const db = await openDatabase(join(tempDir(t), 'a.db'));
  t.after(() => db.close());
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE u (x INTEGER);');
  const r = await db.run('INSERT INTO t (v) VALUES (?)', ['a']);
  assert.deepEqual(r, { changes: 1, lastID: 1 });
  await db.run('INSERT INTO t (v) VALUES ($v)', { $v: 'b' });
  assert.deepEqual(await db.get('SELECT v FROM t WHERE id = ?', [2]), { v: 'b' });
  assert.equal(await db.get('SELECT v FROM t WHERE id = ?', [99]), undefined);
  const ins = await db.prepare('INSERT INTO u (x) VALUES (?)');
  for (let i = 0; i < 5; i++) await ins.run([i]);
  const sel = await db.prepare('SELECT x FROM u WHERE x >= ? ORDER BY x');
  assert.deepEqual(await sel.get([3]), { x: 3 });
  assert.deepEqual(await sel.all([3]), [{ x: 3 }, { x: 4 }]);
  await ins.finalize();
  await ins.finalize();
  await assert.rejects(ins.run([9]), /finalized/);
  await assert.rejects(db.run('INSERT INTO nope VALUES (1)'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SQLITE_ERROR');
    assert.match(err.message, /no such table: nope \(in: INSERT INTO nope/);
    return true;
  });
});

void test('transaction commits, rolls back on throw, and nests as savepoints', async (t) => {
  const db = await openDatabase(join(tempDir(t), 'tx.db'));
  t.after(() => db.close());
  await db.exec('CREATE TABLE t (v INTEGER)');
  const out = await db.transaction(async () => {
    assert.equal(db.inTransaction(), true);
    await db.run('INSERT INTO t VALUES (1)');
    return 'done';
  });
  assert.equal(out, 'done');
  assert.equal(db.inTransaction(), false);
  await assert.rejects(
    db.transaction(async () => {
      await db.run('INSERT INTO t VALUES (2)');
      throw new Error('boom');
    }),
    /boom/,
  );
  await db.transaction(async () => {
    await db.run('INSERT INTO t VALUES (3)');
    await assert.rejects(
      db.transaction(async () => {
        await db.run('INSERT INTO t VALUES (4)');
        throw new Error('inner');
      }),
      /inner/,
    );
    await db.transaction(() => db.run('INSERT INTO t VALUES (5)'));
    await db.transaction(() =>
      db.transaction(async () => {
        await db.run('INSERT INTO t VALUES (6)');
        await assert.rejects(
          db.transaction(() => Promise.reject(new Error('deep'))),
          /deep/,
        );
      }),
    );
  });
  assert.deepEqual(
    (await db.all<{ v: number }>('SELECT v FROM t ORDER BY v')).map((r) => r.v),
    [1, 3, 5, 6],
  );
});

void test('writers are serialised; outside reads neither wait for nor see an open transaction', async (t) => {
  const db = await openDatabase(join(tempDir(t), 'ser.db'));
  t.after(() => db.close());
  await db.exec('CREATE TABLE c (n INTEGER)');
  await db.run('INSERT INTO c VALUES (0)');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = db.transaction(async () => {
    await db.run('UPDATE c SET n = n + 100');
    await gate;
  });
  const read = db.get<{ n: number }>('SELECT n FROM c');
  const increments = Array.from({ length: 10 }, () =>
    db.transaction(async () => {
      const { n } = (await db.get<{ n: number }>('SELECT n FROM c'))!;
      await new Promise((r) => setImmediate(r));
      await db.run('UPDATE c SET n = ?', [n + 1]);
    }),
  );
  // The outside read runs on the read-only connection at once: the last committed state, not the open
  // transaction's uncommitted 100, and without waiting for it.
  assert.equal((await read)?.n, 0, 'the read saw the committed state');
  setTimeout(release, 20);
  await slow;
  assert.equal((await db.get<{ n: number }>('SELECT n FROM c'))?.n, 100, 'a later read sees the commit');
  await Promise.all(increments);
  assert.equal((await db.get<{ n: number }>('SELECT n FROM c'))?.n, 110, 'no lost updates');
});

void test('close is idempotent and later calls reject', async (t) => {
  const db = await openDatabase(join(tempDir(t), 'c.db'));
  const stmt = await db.prepare('SELECT 1 AS one');
  await Promise.all([db.close(), db.close()]);
  await db.close();
  await assert.rejects(db.get('SELECT 1'), /database is closed/);
  await assert.rejects(
    db.transaction(() => Promise.resolve(undefined)),
    /database is closed/,
  );
  await assert.rejects(stmt.get(), /database is closed/);
});

void test('read-only statements are told apart from writes and connection-scoped functions', () => {
  assert.equal(isReadOnlySql('SELECT 1'), true);
  assert.equal(isReadOnlySql('  -- lead\n  WITH x AS (SELECT 1) SELECT * FROM x'), true);
  assert.equal(isReadOnlySql('WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x'), false);
  assert.equal(isReadOnlySql('INSERT INTO t VALUES (1)'), false);
  assert.equal(isReadOnlySql('PRAGMA user_version'), false);
  assert.equal(isReadOnlySql('SELECT total_changes() AS n'), false);
  assert.equal(isReadOnlySql('SELECT last_insert_rowid()'), false);
});

void test('reads made while a write is awaited see it; reads of :memory: stay on the one connection', async (t) => {
  const db = await openDatabase(join(tempDir(t), 'ryw.db'));
  t.after(() => db.close());
  await db.exec('CREATE TABLE k (v INTEGER)');
  for (let i = 1; i <= 20; i++) {
    await db.run('INSERT INTO k VALUES (?)', [i]);
    assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM k'))?.n, i);
  }
  const mem = await openDatabase(':memory:');
  t.after(() => mem.close());
  await mem.exec('CREATE TABLE m (v INTEGER)');
  await mem.run('INSERT INTO m VALUES (1)');
  assert.equal((await mem.get<{ n: number }>('SELECT count(*) AS n FROM m'))?.n, 1);
});

void test('reads stay fresh while other reads keep the read-only connections busy', async (t) => {
  const db = await openDatabase(join(tempDir(t), 'busy.db'));
  t.after(() => db.close());
  await db.exec('CREATE TABLE k (v INTEGER)');
  const slow = () =>
    db.get<{ n: number }>(
      'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 20000) SELECT count(*) AS n FROM r',
    );
  let stop = false;
  // Eight readers in a loop: there is always a slow read in flight on every connection.
  const background = Array.from({ length: 8 }, async () => {
    while (!stop) await slow();
  });
  for (let i = 1; i <= 25; i++) {
    await db.run('INSERT INTO k VALUES (?)', [i]);
    assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM k'))?.n, i, `after insert ${i}`);
  }
  stop = true;
  await Promise.all(background);
});
