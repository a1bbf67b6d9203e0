/**
 * Time for the crash tests. The worker moves its clock forward by minutes between crawls, so that 5-minute
 * rollup buckets complete and retention really prunes within a test that runs for seconds; every process
 * that opens the database (the workers one after another, the checking test) first reads the latest time
 * written into it and starts after it, so time never goes backwards across kills.
 */
import { systemClock, type Clock } from '../../server/core/clock.js';
import type { SqlRunner } from '../../server/store/index.js';

/** A system clock shifted forward by an offset that only grows. */
export interface SteppedClock extends Clock {
  /** Move now() forward by `ms` (timers keep running on real time). */
  advance(ms: number): void;
}

export function steppedClock(offsetMs = 0): SteppedClock {
  const base = systemClock();
  let offset = Math.max(0, offsetMs);
  let last = 0;
  return {
    now() {
      last = Math.max(last, Date.now() + offset);
      return last;
    },
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    clearTimeout: (h) => base.clearTimeout(h),
    advance(ms) {
      offset += Math.max(0, ms);
    },
  };
}

/** The latest time any crawl or alert event in the database carries (0 for an empty database). */
export async function latestTime(db: Pick<SqlRunner, 'get'>): Promise<number> {
  const tables = new Set(
    (await db.get<{ names: string | null }>(
      `SELECT group_concat(name) AS names FROM sqlite_master WHERE type = 'table'`,
    ))!.names?.split(',') ?? [],
  );
  const parts = ['SELECT 0 AS v'];
  if (tables.has('crawls')) {
    parts.push('SELECT max(started_at) FROM crawls', 'SELECT max(finished_at) FROM crawls');
  }
  if (tables.has('alert_events')) parts.push('SELECT max(at) FROM alert_events');
  if (tables.has('rollup_progress')) parts.push('SELECT max(done_until) FROM rollup_progress');
  const row = await db.get<{ t: number | null }>(`SELECT max(v) AS t FROM (${parts.join(' UNION ALL ')})`);
  return row?.t ?? 0;
}

/** A stepped clock whose now() is after everything already in the database. */
export async function clockAfter(db: Pick<SqlRunner, 'get'>): Promise<SteppedClock> {
  return steppedClock(Math.max(0, (await latestTime(db)) + 1 - Date.now()));
}
