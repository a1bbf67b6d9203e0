/**
 * The read-only connections beside the writer (see db.ts): which statements may run there, and a pool
 * that hands each read an idle connection, one statement per connection at a time. Statements overlapping
 * on one connection would share its read snapshot, and a connection kept busy that way would never see
 * a newer commit.
 */
import type sqlite3 from 'sqlite3';

/**
 * A statement that only reads (SELECT, or WITH … SELECT) and asks nothing of the writer's connection
 * (changes(), total_changes(), last_insert_rowid()), so it may run on a read-only connection.
 */
export function isReadOnlySql(sql: string): boolean {
  const body = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  return (
    /^(SELECT|WITH)\b/i.test(body) &&
    !/\b(INSERT|UPDATE|DELETE|REPLACE|UPSERT)\b/i.test(body) &&
    !/\b(total_changes|changes|last_insert_rowid)\s*\(/i.test(body)
  );
}

/**
 * Contract: run(op) calls op with a connection no other op holds, in FIFO order of waiting when all are
 * busy, and settles as op does. close() waits for every run (started or waiting) to settle, then closes
 * the connections; runs after close() must not be made (db.ts routes them to the writer, which rejects).
 */
export interface ReaderPool {
  run<T>(op: (conn: sqlite3.Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function createReaderPool(connections: readonly sqlite3.Database[]): ReaderPool {
  const readers = connections.map((conn) => ({ conn, busy: false }));
  type Reader = (typeof readers)[number];
  const waiting: ((r: Reader) => void)[] = [];
  const runs = new Set<Promise<unknown>>();
  return {
    run(op) {
      const p = (async () => {
        const r =
          readers.find((x) => !x.busy) ?? (await new Promise<Reader>((resolve) => waiting.push(resolve)));
        r.busy = true;
        try {
          return await op(r.conn);
        } finally {
          const next = waiting.shift();
          if (next) next(r);
          else r.busy = false;
        }
      })();
      const settled: Promise<void> = p.then(
        () => void runs.delete(settled),
        () => void runs.delete(settled),
      );
      runs.add(settled);
      return p;
    },
    async close() {
      while (runs.size > 0) await Promise.all(runs);
      for (const r of readers.splice(0)) await new Promise<void>((resolve) => r.conn.close(() => resolve()));
    },
  };
}
