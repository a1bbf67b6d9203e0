/**
 * Periodic jobs (crawls, retention) declared as data and run by node-cron. A job never runs twice at once:
 * a tick that finds the previous run still going is skipped and counted, so a slow crawl cannot pile up.
 */
import cron, { type ScheduledTask } from 'node-cron';

export interface JobSpec {
  name: string;
  /** node-cron expression; six fields allow seconds, e.g. every 10 s = '*\/10 * * * * *'. */
  schedule: string;
  run(): Promise<void>;
}

export interface JobStats {
  name: string;
  schedule: string;
  runs: number;
  skipped: number;
  failures: number;
  running: boolean;
  lastError?: string;
  lastFinishedAt?: number;
}

/**
 * Contract: add() validates the expression and throws a clear Error for a bad one; start() arms every job;
 * trigger(name) runs a job now unless it is running (returns false then); stop() disarms all jobs and resolves
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
  }
  const jobs = new Map<string, Entry>();
  let stopped = false;

  function fire(e: Entry): boolean {
    if (stopped) return false;
    if (e.current) {
      e.stats.skipped++;
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
        stats: { name: spec.name, schedule: spec.schedule, runs: 0, skipped: 0, failures: 0, running: false },
        task: null,
        current: null,
      });
    },
    start() {
      for (const e of jobs.values()) {
        if (e.task) continue;
        e.task = cron.schedule(e.spec.schedule, () => void fire(e), { name: e.spec.name });
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
