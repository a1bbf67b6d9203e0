/**
 * A small promise layer over node-sqlite3 (callback API): one writer connection per Database, plus
 * read-only connections for reads.
 *
 * Writers are serialised: `transaction(fn)` takes an exclusive gate, runs BEGIN IMMEDIATE … COMMIT around
 * `fn`, and rolls back when `fn` throws. Every call made outside a transaction also passes through the gate
 * as a single operation, so it never lands inside someone else's open transaction and never sees
 * uncommitted rows. Calls made from inside `fn` (anywhere down its async call chain, tracked with
 * AsyncLocalStorage) run directly in that transaction; a nested `transaction()` becomes a SAVEPOINT.
 *
 * Reads do not queue behind writers. A database file (not ':memory:') also gets READERS read-only
 * connections (readers.ts): `get`/`all` of a SELECT (or WITH … SELECT) made outside a transaction run
 * on an idle one, and see the last committed state (WAL lets readers run beside the writer). Each reader runs one
 * statement at a time: statements overlapping on one connection would share its read snapshot, and a
 * connection kept busy that way would never see a newer commit.
 * Without it every API read waited its turn behind the crawl's recording transaction and behind each
 * other, one event-loop turn per statement: under a busy crawl that capped the API at a few requests per
 * second. A read sees every write whose promise settled before the read was made.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import sqlite3 from 'sqlite3';
import { createReaderPool, isReadOnlySql, type ReaderPool } from './readers.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { applyMigrations, loadMigrations, DEFAULT_MIGRATIONS_DIR } from './migrate.js';
import type { MigrationReport } from './migrate.js';

export type SqlValue = string | number | boolean | null | Buffer;
/** Positional (`?`) values, or named values with their prefix (`{ $id: 1 }`). */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

/** Outcome of a write: rows changed and the rowid of the last insert. */
export interface RunResult {
  changes: number;
  lastID: number;
}

/**
 * Contract: each method runs exactly one SQL statement (`exec`: a script of several) and settles after
 * SQLite has finished with it; errors are SQLite's (with `code`, e.g. SQLITE_CONSTRAINT) and name the SQL.
 * Integers come back as JS numbers (values beyond 2^53 lose precision; this store never writes any).
 */
export interface SqlRunner {
  run(sql: string, params?: SqlParams): Promise<RunResult>;
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

/** A prepared statement. Contract: reusable until finalize(); finalize is idempotent; close() finalizes it. */
export interface Statement {
  run(params?: SqlParams): Promise<RunResult>;
  get<T>(params?: SqlParams): Promise<T | undefined>;
  all<T>(params?: SqlParams): Promise<T[]>;
  finalize(): Promise<void>;
}

/**
 * An open SQLite database with WAL, busy_timeout, foreign_keys=ON and synchronous=NORMAL, migrated to the
 * newest schema. Contract: `transaction(fn)` is atomic (all of fn's statements commit, or none when fn
 * throws) and writers never interleave; `close()` waits for queued work, is idempotent, and any later
 * call rejects with "database is closed".
 */
export interface Database extends SqlRunner {
  readonly file: string;
  readonly clock: Clock;
  /** What the migrations step did at open. */
  readonly migrations: MigrationReport;
  prepare(sql: string): Promise<Statement>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** True when called from inside a transaction() callback of this database. */
  inTransaction(): boolean;
  close(): Promise<void>;
}

/** Options of openDatabase; every field has a working default. */
export interface OpenOptions {
  clock?: Clock;
  /** Directory of NNN_name.sql files; defaults to the repository's migrations/. */
  migrationsDir?: string;
  /** SQLite busy timeout for other processes holding the lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Page cache per connection in KiB (default 32768 = 32 MiB). */
  cacheSizeKiB?: number;
}

/** One level of a transaction: `tx` is shared by all levels; `nested` chains this level's savepoints. */
interface TxContext {
  /** broken: SQLite rolled the whole transaction back itself (see transaction()); nothing may run in it. */
  tx: { active: boolean; savepoints: number; broken: boolean };
  nested: Promise<unknown>;
}

function annotate(err: Error, sql: string): Error {
  const short = sql.replace(/\s+/g, ' ').trim().slice(0, 160);
  err.message = `${err.message} (in: ${short})`;
  return err;
}

function brokenError(): Error {
  return new Error('transaction was rolled back by SQLite after an earlier error in it');
}

function bindable(params: SqlParams | undefined): unknown {
  return params ?? [];
}

function rawRun(db: sqlite3.Database, sql: string, params?: SqlParams): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    db.run(sql, bindable(params), function (this: sqlite3.RunResult, err: Error | null) {
      if (err) reject(annotate(err, sql));
      else resolve({ changes: this.changes, lastID: this.lastID });
    });
  });
}

function rawGet<T>(db: sqlite3.Database, sql: string, params?: SqlParams): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    db.get(sql, bindable(params), (err: Error | null, row: T | undefined) => {
      if (err) reject(annotate(err, sql));
      else resolve(row);
    });
  });
}

function rawAll<T>(db: sqlite3.Database, sql: string, params?: SqlParams): Promise<T[]> {
  return new Promise((resolve, reject) => {
    db.all(sql, bindable(params), (err: Error | null, rows: T[]) => {
      if (err) reject(annotate(err, sql));
      else resolve(rows);
    });
  });
}

function rawExec(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    db.exec(sql, (err: Error | null) => (err ? reject(annotate(err, sql)) : resolve()));
  });
}

function openRaw(
  file: string,
  mode = sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE,
): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db: sqlite3.Database = new sqlite3.Database(file, mode, (err: Error | null) =>
      err ? reject(err) : resolve(db),
    );
  });
}

/**
 * Read-only connections per database file. Each runs one statement at a time, so this is how many reads
 * complete per event-loop turn when the loop is busy (libuv runs 4 SQLite calls at once by default).
 */
const READERS = 6;
/** Page cache of each read-only connection (KiB); the writer keeps the configured cache_size. */
const READER_CACHE_KIB = 8192;

/** A FIFO mutex: lock(fn) runs fn after every earlier holder has settled. */
function createGate() {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    lock<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

/** Open (creating if needed) a database file, apply pragmas and pending migrations. */
export async function openDatabase(file: string, options: OpenOptions = {}): Promise<Database> {
  const clock = options.clock ?? systemClock();
  const raw = await openRaw(file);
  const gate = createGate();
  const als = new AsyncLocalStorage<TxContext>();
  const statements = new Set<sqlite3.Statement>();
  let closed = false;
  let closing: Promise<void> | undefined;
  /** Read-only connections, opened after migrations; none for ':memory:'. */
  let readers: ReaderPool | undefined;

  const ctx = () => {
    const c = als.getStore();
    return c?.tx.active ? c : undefined;
  };
  const guard = () => {
    if (closed) throw new Error('database is closed');
  };
  /** Run op directly inside the caller's transaction, else as one gated operation. */
  const use = <T>(op: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('database is closed'));
    const c = ctx();
    if (c?.tx.broken) return Promise.reject(brokenError());
    if (c) return op();
    return gate.lock(async () => {
      guard();
      return op();
    });
  };

  async function transaction<T>(fn: () => Promise<T>): Promise<T> {
    const outer = ctx();
    if (outer) {
      // Nested: a savepoint; sibling nested transactions run one after another, and each runs in a
      // level of its own so that it can nest further.
      const step = outer.nested.then(async () => {
        if (outer.tx.broken) throw brokenError();
        const name = `sp${++outer.tx.savepoints}`;
        const level: TxContext = { tx: outer.tx, nested: Promise.resolve() };
        await rawRun(raw, `SAVEPOINT ${name}`);
        try {
          const value = await als.run(level, fn);
          await level.nested;
          await rawRun(raw, `RELEASE ${name}`);
          return value;
        } catch (err) {
          // After SQLITE_FULL, SQLITE_IOERR and the like SQLite may have rolled back the whole transaction:
          // the savepoint is gone. Keep the original error (it names the cause) and poison the transaction,
          // so later statements of fn cannot run outside it in autocommit mode.
          try {
            await rawRun(raw, `ROLLBACK TO ${name}`);
            await rawRun(raw, `RELEASE ${name}`);
          } catch {
            outer.tx.broken = true;
          }
          throw err;
        }
      });
      outer.nested = step.catch(() => undefined);
      return step;
    }
    if (closed) throw new Error('database is closed');
    return gate.lock(async () => {
      guard();
      const c: TxContext = { tx: { active: true, savepoints: 0, broken: false }, nested: Promise.resolve() };
      await rawRun(raw, 'BEGIN IMMEDIATE');
      try {
        const value = await als.run(c, fn);
        await c.nested;
        if (c.tx.broken) throw brokenError();
        c.tx.active = false;
        await rawRun(raw, 'COMMIT');
        return value;
      } catch (err) {
        c.tx.active = false;
        await rawRun(raw, 'ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  function wrapStatement(stmt: sqlite3.Statement, sql: string): Statement {
    let finalized = false;
    const live = () => {
      if (finalized) throw new Error('statement is finalized');
    };
    return {
      run: (params) =>
        use(() => {
          live();
          return new Promise((resolve, reject) => {
            stmt.run(bindable(params), function (this: sqlite3.RunResult, err: Error | null) {
              if (err) reject(annotate(err, sql));
              else resolve({ changes: this.changes, lastID: this.lastID });
            });
          });
        }),
      get: <T>(params?: SqlParams) =>
        use(() => {
          live();
          return new Promise<T | undefined>((resolve, reject) => {
            stmt.get(bindable(params), (err: Error | null, row?: T) => {
              if (err) reject(annotate(err, sql));
              // Reset so a half-read statement does not keep a read transaction open.
              else stmt.reset(() => resolve(row));
            });
          });
        }),
      all: <T>(params?: SqlParams) =>
        use(() => {
          live();
          return new Promise<T[]>((resolve, reject) => {
            stmt.all(bindable(params), (err: Error | null, rows: T[]) =>
              err ? reject(annotate(err, sql)) : resolve(rows),
            );
          });
        }),
      finalize: () => {
        if (finalized || closed) return Promise.resolve();
        finalized = true;
        statements.delete(stmt);
        return new Promise((resolve) => stmt.finalize(() => resolve()));
      },
    };
  }

  /** A read on a read-only connection, or undefined when it must go through the gate (or a transaction). */
  function read<T>(sql: string, op: (conn: sqlite3.Database) => Promise<T>): Promise<T> | undefined {
    if (closed || !readers || ctx() !== undefined || !isReadOnlySql(sql)) return undefined;
    return readers.run(op);
  }

  const db: Omit<Database, 'migrations'> = {
    file,
    clock,
    run: (sql, params) => use(() => rawRun(raw, sql, params)),
    get: <T>(sql: string, params?: SqlParams) =>
      read(sql, (conn) => rawGet<T>(conn, sql, params)) ?? use(() => rawGet<T>(raw, sql, params)),
    all: <T>(sql: string, params?: SqlParams) =>
      read(sql, (conn) => rawAll<T>(conn, sql, params)) ?? use(() => rawAll<T>(raw, sql, params)),
    exec: (sql) => use(() => rawExec(raw, sql)),
    prepare: (sql) =>
      use(
        () =>
          new Promise<Statement>((resolve, reject) => {
            const stmt: sqlite3.Statement = raw.prepare(sql, (err: Error | null) => {
              if (err) return reject(annotate(err, sql));
              statements.add(stmt);
              resolve(wrapStatement(stmt, sql));
            });
          }),
      ),
    transaction,
    inTransaction: () => ctx() !== undefined,
    close() {
      closing ??= gate.lock(async () => {
        if (closed) return;
        closed = true;
        for (const stmt of statements) await new Promise<void>((resolve) => stmt.finalize(() => resolve()));
        statements.clear();
        await readers?.close();
        await new Promise<void>((resolve, reject) => raw.close((err) => (err ? reject(err) : resolve())));
      });
      return closing;
    },
  };

  try {
    raw.configure('busyTimeout', options.busyTimeoutMs ?? 5000);
    const mode = await rawGet<{ journal_mode: string }>(raw, 'PRAGMA journal_mode = WAL');
    if (mode?.journal_mode !== 'wal' && file !== ':memory:' && file !== '') {
      throw new Error(
        `could not switch ${file} to WAL journal mode (got ${mode?.journal_mode ?? 'nothing'})`,
      );
    }
    await rawExec(
      raw,
      `PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)};
       PRAGMA foreign_keys = ON;
       PRAGMA synchronous = NORMAL;
       PRAGMA temp_store = MEMORY;
       PRAGMA cache_size = -${Math.trunc(options.cacheSizeKiB ?? 32768)};`,
    );
    const migrations = await applyMigrations(
      db,
      await loadMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR),
      clock,
    );
    if (file !== ':memory:' && file !== '' && !file.startsWith('file::memory:')) {
      const conns: sqlite3.Database[] = [];
      for (let i = 0; i < READERS; i++) {
        const conn = await openRaw(file, sqlite3.OPEN_READONLY);
        conns.push(conn);
        conn.configure('busyTimeout', options.busyTimeoutMs ?? 5000);
        await rawExec(
          conn,
          `PRAGMA query_only = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -${READER_CACHE_KIB};`,
        );
      }
      readers = createReaderPool(conns);
    }
    return Object.assign(db, { migrations });
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
