/** `ringwatch crawl`: one crawl through the whole pipeline; prints a JSON summary. */
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { CRAWL_STRATEGIES, type CrawlStrategy } from '../core/model.js';
import { openPipeline } from '../pipeline/open.js';
import { int } from './options.js';

interface CrawlFlags {
  seed: string[];
  db?: string;
  concurrency: number;
  timeoutMs: number;
  maxNodes?: number;
  strategy: string;
  allow: string[];
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerCrawlCommand(program: Command): void {
  program
    .command('crawl')
    .description('crawl the ring once from the seeds, check congruence, run detectors, print a summary')
    .requiredOption('--seed <url>', 'endpoint to start from (repeatable)', collect, [])
    .option(
      '--db <file>',
      'SQLite file to record the crawl in (repeated runs build the history detectors need)',
    )
    .option('--concurrency <n>', 'visits in flight at once', int, 256)
    .option('--timeout-ms <ms>', 'per-request timeout', int, 3000)
    .option('--max-nodes <n>', 'most endpoints visited', int)
    .option('--strategy <name>', `${CRAWL_STRATEGIES.join(' or ')}`, 'parallel')
    .option(
      '--allow <cidr>',
      "network the crawler may contact (repeatable; default: the seeds' networks)",
      collect,
      [],
    )
    .option('--json', 'print the summary as one JSON object (default: also JSON, pretty-printed)')
    .action(async (flags: CrawlFlags) => {
      if (!(CRAWL_STRATEGIES as readonly string[]).includes(flags.strategy)) {
        process.stderr.write(`ringwatch crawl: --strategy must be one of ${CRAWL_STRATEGIES.join(', ')}\n`);
        process.exit(2);
      }
      let open;
      try {
        open = await openPipeline(
          {
            db: flags.db ?? ':memory:',
            seeds: flags.seed,
            concurrency: flags.concurrency,
            timeoutMs: flags.timeoutMs,
            allow: flags.allow,
            ...(flags.maxNodes !== undefined ? { maxNodes: flags.maxNodes } : {}),
          },
          { clock: systemClock() },
        );
      } catch (err) {
        process.stderr.write(`ringwatch crawl: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(2);
      }
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      try {
        const summary = await open.pipeline.run({
          strategy: flags.strategy as CrawlStrategy,
          signal: abort.signal,
        });
        process.stdout.write(
          (flags.json ? JSON.stringify(summary) : JSON.stringify(summary, null, 2)) + '\n',
        );
        process.exitCode = summary.state === 'succeeded' ? 0 : 1;
      } finally {
        await open.close();
      }
    });
}
