/**
 * `ringwatch start`: the long-running monitor. With no seeds it starts an embedded simulated ring and
 * crawls that, so a fresh clone shows a living ring at once. Crawls run on a schedule (never two at once),
 * retention runs hourly, and each finished crawl prints one line. The HTTP API and dashboard build on this.
 */
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { openPipeline } from '../pipeline/open.js';
import type { CrawlSummary } from '../pipeline/crawl-pipeline.js';
import { createScheduler } from '../schedule/scheduler.js';
import { startSimulator, type Simulator } from '../sim/run.js';
import { createRetention } from '../store/index.js';
import { int, onShutdown } from './options.js';

interface StartFlags {
  seed: string[];
  db: string;
  sim?: number;
  schedule: string;
  retentionSchedule: string;
  concurrency: number;
  timeoutMs: number;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function line(s: CrawlSummary): string {
  const pct = (s.consistency * 100).toFixed(1);
  const alerts = [
    s.ringSplit ? `RING SPLIT (${s.rings} rings)` : '',
    s.nonlinearLoss ? `NON-LINEAR LOSS (${s.lost.length} lost)` : '',
    s.persistentInconsistent.length ? `${s.persistentInconsistent.length} persistently inconsistent` : '',
    s.stalledThreads.length ? `${s.stalledThreads.length} stalled threads` : '',
    s.duplicateIds.length ? `${s.duplicateIds.length} duplicate IDs` : '',
    s.growth.length ? `${s.growth.length} growing` : '',
  ].filter(Boolean);
  return (
    `crawl #${s.crawlId} ${s.state}: ${s.reachable}/${s.discovered} reachable, consistency ${pct}%, ` +
    `${s.rings} ring(s), ${s.durationMs} ms` +
    (alerts.length ? ` — ${alerts.join('; ')}` : '')
  );
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('crawl a ring on a schedule (an embedded simulated ring when no --seed is given)')
    .option('--seed <url>', 'endpoint of a real ring to crawl (repeatable)', collect, [])
    .option('--db <file>', 'SQLite database file', 'ringwatch.db')
    .option(
      '--sim <nodes>',
      'run the embedded simulator with this many nodes (default 200 without --seed)',
      int,
    )
    .option('--schedule <cron>', 'crawl schedule (node-cron, 6 fields allow seconds)', '0 * * * * *')
    .option('--retention-schedule <cron>', 'retention and rollup schedule', '0 * * * *')
    .option('--concurrency <n>', 'visits in flight at once', int, 256)
    .option('--timeout-ms <ms>', 'per-request timeout', int, 3000)
    .option('--json', 'print each crawl summary as JSON instead of a line of text')
    .action(async (flags: StartFlags) => {
      const clock = systemClock();
      let sim: Simulator | null = null;
      if (flags.seed.length === 0 || flags.sim !== undefined) {
        sim = await startSimulator({ nodes: flags.sim ?? 200, bootstrap: 'join' });
        console.error(`embedded simulator: ${sim.ring.size} nodes, control API ${sim.control}`);
      }
      const seeds = sim ? sim.seeds : flags.seed;
      const open = await openPipeline(
        { db: flags.db, seeds, concurrency: flags.concurrency, timeoutMs: flags.timeoutMs },
        { clock },
      );
      const scheduler = createScheduler({
        now: () => clock.now(),
        onError: (job, err) =>
          console.error(`${job} failed: ${err instanceof Error ? err.message : String(err)}`),
      });
      const retention = createRetention({ db: open.db, clock });
      scheduler.add({
        name: 'crawl',
        schedule: flags.schedule,
        run: async () => {
          const s = await open.pipeline.run();
          console.log(flags.json ? JSON.stringify(s) : line(s));
        },
      });
      scheduler.add({
        name: 'retention',
        schedule: flags.retentionSchedule,
        run: async () => void (await retention.run()),
      });
      scheduler.start();
      scheduler.trigger('crawl');
      console.error(
        `crawling ${seeds.length} seed(s) on "${flags.schedule}", recording in ${flags.db}; Ctrl-C to stop`,
      );
      onShutdown(async () => {
        await scheduler.stop();
        await open.close();
        await sim?.close();
      });
    });
}
