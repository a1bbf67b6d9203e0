/**
 * Benchmark worker: runs N crawls of one ring through the full pipeline (crawl + check + persist) in a
 * fresh process, so its peak RSS is the crawler's alone. Prints one JSON line.
 *   node --import tsx bench/crawl-one.ts '{"seeds":[...],"runs":3,"strategy":"parallel"}'
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../server/core/clock.js';
import { openPipeline } from '../server/pipeline/open.js';

interface Job {
  seeds: string[];
  runs: number;
  strategy: 'parallel' | 'ring-walk';
  maxNodes?: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const dir = mkdtempSync(join(tmpdir(), 'rw-bench-'));
const open = await openPipeline(
  { db: join(dir, 'bench.db'), seeds: job.seeds, ...(job.maxNodes ? { maxNodes: job.maxNodes } : {}) },
  { clock: systemClock() },
);
const runs = [];
for (let i = 0; i < job.runs; i++) {
  const t0 = performance.now();
  const s = await open.pipeline.run({ strategy: job.strategy });
  runs.push({
    wallMs: performance.now() - t0,
    crawlMs: s.timings.crawl,
    analyzeMs: s.timings.analyze,
    persistMs: s.timings.persist,
    reachable: s.reachable,
    discovered: s.discovered,
    errors: s.errors,
  });
}
await open.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ runs, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
