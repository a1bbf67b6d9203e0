/**
 * Schema migrations: numbered SQL files `NNN_name.sql` in migrations/, applied in order at open, each in
 * its own transaction, and recorded in the `migrations` table (version, name, checksum, applied_at).
 *
 * Refuses to go on (MigrationError) when an applied migration's file changed since it was applied, when
 * the database has migrations this code does not know (it is newer than the code), or when the files
 * themselves are not a gap-free 001, 002, … sequence.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../core/clock.js';
import type { Database } from './db.js';

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** One migration file as read from disk (immutable once applied anywhere). */
export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  /** sha256 (hex) of the file with line endings normalised to \n. */
  checksum: string;
}

/** What applyMigrations did; `version` is also written to PRAGMA user_version. */
export interface MigrationReport {
  /** Newest schema version now in the database. */
  version: number;
  /** Versions applied by this open, in order. */
  applied: number[];
}

export type MigrationErrorCode = 'checksum_mismatch' | 'database_newer' | 'bad_files';

/** Why the database cannot be opened by this code; `message` says what to do. */
export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Read and validate the migration files of a directory, ordered by version. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of names) {
    const m = FILE_PATTERN.exec(file);
    if (!m)
      throw new MigrationError('bad_files', `migration file ${file} in ${dir} is not named NNN_name.sql`);
    const version = Number(m[1]);
    if (version !== out.length + 1) {
      throw new MigrationError(
        'bad_files',
        `migration ${file} in ${dir}: expected version ${String(out.length + 1).padStart(3, '0')} ` +
          '(versions must start at 001 and have no gaps or duplicates)',
      );
    }
    const sql = await readFile(join(dir, file), 'utf8');
    out.push({ version, name: m[2]!, file, sql, checksum: checksumOf(sql) });
  }
  return out;
}

type Migrator = Pick<Database, 'run' | 'get' | 'all' | 'exec' | 'transaction'>;

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

function label(version: number, name: string): string {
  return `${String(version).padStart(3, '0')}_${name}`;
}

/** Verify applied migrations against the files, then apply the pending ones in order. */
export async function applyMigrations(
  db: Migrator,
  migrations: readonly Migration[],
  clock: Clock,
): Promise<MigrationReport> {
  await db.run(
    `CREATE TABLE IF NOT EXISTS migrations (
       version INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       checksum TEXT NOT NULL,
       applied_at INTEGER NOT NULL
     )`,
  );
  const verify = (rows: AppliedRow[]) => {
    const known = migrations.length;
    for (const row of rows) {
      const m = migrations[row.version - 1];
      if (!m) {
        throw new MigrationError(
          'database_newer',
          `the database has migration ${label(row.version, row.name)} but this code only knows up to ` +
            `${known === 0 ? 'none' : label(known, migrations[known - 1]!.name)}: the database is newer ` +
            'than the code; run a newer Ringwatch or restore a matching backup',
        );
      }
      if (m.checksum !== row.checksum) {
        throw new MigrationError(
          'checksum_mismatch',
          `migration ${m.file} was changed after it was applied to this database ` +
            `(applied checksum ${row.checksum.slice(0, 12)}…, file now ${m.checksum.slice(0, 12)}…); ` +
            'restore the original file and put the change in a new numbered migration',
        );
      }
    }
  };
  const rows = await db.all<AppliedRow>('SELECT version, name, checksum FROM migrations ORDER BY version');
  verify(rows);
  const done = new Set(rows.map((r) => r.version));

  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    await db.transaction(async () => {
      // Re-check under the write lock: another process may have applied it meanwhile.
      const row = await db.get<AppliedRow>(
        'SELECT version, name, checksum FROM migrations WHERE version = ?',
        [m.version],
      );
      if (row) return verify([row]);
      await db.exec(m.sql);
      await db.run('INSERT INTO migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [
        m.version,
        m.name,
        m.checksum,
        clock.now(),
      ]);
      await db.exec(`PRAGMA user_version = ${m.version}`);
      applied.push(m.version);
    });
  }
  const top = await db.get<{ v: number | null }>('SELECT max(version) AS v FROM migrations');
  return { version: top?.v ?? 0, applied };
}
