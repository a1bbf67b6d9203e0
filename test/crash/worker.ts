/**
 * The process the crash tests kill. Not a test itself: test/crash/kill.test.ts and migrations.test.ts start
 * it (bundled by harness.ts for a fast start; `node --import tsx test/crash/worker.ts …` works the same) and
 * SIGKILL it at a random moment. It prints one line per completed step on stdout, so the test knows how far
 * it got:
 *
 *   --mode crawl:   start · ready <offsetMs> · crawled <id> (all visited, recording next) · crawl <id>
 *                   <state> … (recorded, alerts evaluated) · retention … (forever, or --crawls N then `done`). It opens the pipeline on --db against the simulator at --seeds (running in
 *                   the test process), feeds the alert engine (recording notifier: one JSON line per
 *                   notification appended to --notify) and runs retention with a 1 ms raw window between
 *                   crawls, moving its clock --step-ms forward each time so that rollups and pruning happen.
 *   --mode migrate: start · migrated <version> applied=<versions>: opens --db with --migrations and exits.
 *
 * With --gate it loads, prints `loaded` and waits for a line on stdin before touching the database, so the
 * test can start the next worker while it still checks the database the last one left.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createAlertEngine, parseAlertingConfig } from '../../server/alert/index.js';
import type { Notification } from '../../server/alert/index.js';
import type { PipelineEvent } from '../../server/pipeline/crawl-pipeline.js';
import { openPipeline } from '../../server/pipeline/open.js';
import { createRetention, openDatabase } from '../../server/store/index.js';
import { clockAfter, steppedClock } from './clock.js';

const ArgsSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('crawl'),
    db: z.string().min(1),
    seeds: z
      .string()
      .min(1)
      .transform((s) => s.split(',')),
    notify: z.string().min(1),
    stepMs: z.coerce.number().int().nonnegative().default(60_000),
    crawls: z.coerce.number().int().positive().optional(),
    persistentCrawls: z.coerce.number().int().positive().default(3),
    timeoutMs: z.coerce.number().int().positive().default(3000),
    gate: z.boolean().default(false),
  }),
  z.object({
    mode: z.literal('migrate'),
    db: z.string().min(1),
    migrations: z.string().min(1),
    gate: z.boolean().default(false),
  }),
]);
type Args = z.infer<typeof ArgsSchema>;

/** Repeat interval of the alert rules: longer than any test, so every firing notification is a first one. */
const NO_REMINDERS_MS = 365 * 86_400_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string' },
      db: { type: 'string' },
      seeds: { type: 'string' },
      notify: { type: 'string' },
      migrations: { type: 'string' },
      'step-ms': { type: 'string' },
      crawls: { type: 'string' },
      'persistent-crawls': { type: 'string' },
      'timeout-ms': { type: 'string' },
      gate: { type: 'boolean' },
    },
  });
  return ArgsSchema.parse({
    mode: values.mode,
    db: values.db,
    seeds: values.seeds,
    notify: values.notify,
    migrations: values.migrations,
    stepMs: values['step-ms'],
    crawls: values.crawls,
    persistentCrawls: values['persistent-crawls'],
    timeoutMs: values['timeout-ms'],
    gate: values.gate,
  });
}

async function migrate(args: Extract<Args, { mode: 'migrate' }>): Promise<void> {
  say('start');
  const db = await openDatabase(args.db, { migrationsDir: args.migrations, clock: steppedClock() });
  say(`migrated ${db.migrations.version} applied=${db.migrations.applied.join(',')}`);
  await db.close();
}

async function crawl(args: Extract<Args, { mode: 'crawl' }>): Promise<void> {
  say('start');
  // Read where the last process left the time (it may have died a moment ago), then open for real.
  const pre = await openDatabase(args.db, { clock: steppedClock() });
  const clock = await clockAfter(pre);
  await pre.close();

  let crawled = 0;
  let observing: Promise<void> = Promise.resolve();
  let observe: (e: PipelineEvent) => Promise<void> = () => Promise.resolve();
  const open = await openPipeline(
    {
      db: args.db,
      seeds: args.seeds,
      timeoutMs: args.timeoutMs,
      detectors: { persistent: { crawls: args.persistentCrawls } },
    },
    {
      clock,
      emit: (e) => {
        // The crawl has visited everything: what follows is analysis and the recording transaction.
        if (e.type === 'crawl_progress' && e.progress.queued === 0 && e.progress.inFlight === 0) {
          if (crawled !== e.crawlId) say(`crawled ${(crawled = e.crawlId)} visited=${e.progress.visited}`);
        }
        observing = observing.then(() => observe(e));
      },
    },
  );
  const notifier = {
    notify(n: Notification) {
      const line = { status: n.status, rule: n.groupKey, fingerprints: n.alerts.map((a) => a.fingerprint) };
      appendFileSync(args.notify, `${JSON.stringify(line)}\n`);
    },
  };
  const rules = Object.fromEntries(
    ['PersistentInconsistency', 'ThreadStalled', 'DuplicateNodeId', 'RingSplit', 'NodeLossNonLinear'].map(
      (r) => [r, { repeatInterval: NO_REMINDERS_MS }],
    ),
  );
  const engine = createAlertEngine({ db: open.db, clock, notifier, config: parseAlertingConfig({ rules }) });
  observe = (e) => engine.observe(e);
  await engine.start();
  const retention = createRetention({ db: open.db, clock, rawWindowMs: 1 });
  say(`ready ${clock.now() - Date.now()} aborted=${open.store.abortedOnOpen.join(',')}`);

  for (let i = 0; args.crawls === undefined || i < args.crawls; i++) {
    const s = await open.pipeline.run();
    await observing;
    say(
      `crawl ${s.crawlId} ${s.state} discovered=${s.discovered} reachable=${s.reachable} ` +
        `persistent=${s.persistentInconsistent.join(',')}`,
    );
    clock.advance(args.stepMs);
    const r = await retention.run();
    say(`retention pruned=${r.crawlsPruned} buckets5m=${r.buckets5m}`);
  }
  await engine.stop();
  await open.close();
  say('done');
}

/** Resolves on the first line (any data) on stdin, then lets stdin go so it keeps nothing alive. */
function gate(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.destroy();
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (args.gate) {
    say('loaded');
    await gate();
  }
  if (args.mode === 'migrate') await migrate(args);
  else await crawl(args);
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
