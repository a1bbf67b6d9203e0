/**
 * Periodic jobs (crawls, retention) declared as data and run by node-cron. A job never runs twice at once:
 * a tick that finds the previous run still going is skipped and counted, so a slow crawl cannot pile up.
 * A `catchUp` job (the crawl) whose tick was skipped runs once more as soon as the run in progress ends,
 * instead of idling until the next tick: a ring that takes 16 s to crawl on a 10 s schedule is crawled
 * back to back, never less often than the schedule allows.
 */
import cron, { type ScheduledTask } from 'node-cron';

export interface JobSpec {
  name: string;
  /** node-cron expression; six fields allow seconds, e.g. every 10 s = '*\/10 * * * * *'. */
  schedule: string;
  run(): Promise<void>;
  /** A tick skipped because the job was running starts one run right after it (coalesced). */
  catchUp?: boolean;
}

export interface JobStats {
  name: string;
  schedule: string;
  runs: number;
  skipped: number;
  /** Runs started right after the previous one because a tick was skipped meanwhile (catchUp jobs). */
  caughtUp: number;
  failures: number;
  running: boolean;
  lastError?: string;
  lastFinishedAt?: number;
}

/**
 * Contract: add() validates the expression and throws a clear Error for a bad one; start() arms every job;
 * trigger(name) runs a job now unless it is running (returns false then, and owes no catch-up run); stop() disarms all jobs and resolves
 * once running jobs have finished, and is idempotent. A job that throws is counted and reported through
 * onError; it never stops the scheduler.
 */
export interface Scheduler {
  add(job: JobSpec): void;
  start(): void;
  trigger(name: string): boolean;
  stats(): JobStats[];
  stop(): Promise<void>;
}

export function createScheduler(deps: {
  now: () => number;
  onError?: (job: string, err: unknown) => void;
}): Scheduler {
  interface Entry {
    spec: JobSpec;
    stats: JobStats;
    task: ScheduledTask | null;
    current: Promise<void> | null;
    /** A tick was skipped during the current run (catchUp jobs only). */
    owed: boolean;
  }
  const jobs = new Map<string, Entry>();
  let stopped = false;

  function fire(e: Entry, tick = false): boolean {
    if (stopped) return false;
    if (e.current) {
      e.stats.skipped++;
      if (tick && e.spec.catchUp) e.owed = true;
      return false;
    }
    e.stats.running = true;
    e.current = e.spec
      .run()
      .then(
        () => {
          e.stats.runs++;
        },
        (err: unknown) => {
          e.stats.runs++;
          e.stats.failures++;
          e.stats.lastError = err instanceof Error ? err.message : String(err);
          deps.onError?.(e.spec.name, err);
        },
      )
      .finally(() => {
        e.stats.running = false;
        e.stats.lastFinishedAt = deps.now();
        e.current = null;
        if (e.owed && !stopped) {
          e.owed = false;
          e.stats.caughtUp++;
          fire(e);
        }
      });
    return true;
  }

  return {
    add(spec) {
      if (jobs.has(spec.name)) throw new Error(`scheduler: job "${spec.name}" already added`);
      if (!cron.validate(spec.schedule))
        throw new Error(`scheduler: "${spec.schedule}" is not a valid cron expression (job ${spec.name})`);
      jobs.set(spec.name, {
        spec,
        stats: {
          name: spec.name,
          schedule: spec.schedule,
          runs: 0,
          skipped: 0,
          caughtUp: 0,
          failures: 0,
          running: false,
        },
        task: null,
        current: null,
        owed: false,
      });
    },
    start() {
      for (const e of jobs.values()) {
        if (e.task) continue;
        e.task = cron.schedule(e.spec.schedule, () => void fire(e, true), { name: e.spec.name });
      }
    },
    trigger(name) {
      const e = jobs.get(name);
      if (!e) throw new Error(`scheduler: no job "${name}"`);
      return fire(e);
    },
    stats: () => [...jobs.values()].map((e) => ({ ...e.stats })),
    async stop() {
      stopped = true;
      for (const e of jobs.values()) {
        await e.task?.destroy();
        e.task = null;
      }
      await Promise.all([...jobs.values()].flatMap((e) => (e.current ? [e.current] : [])));
    },
  };
}
