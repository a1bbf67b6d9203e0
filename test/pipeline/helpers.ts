/** Pipeline test fixture: a simulator on loopback plus a pipeline on a temp SQLite file. */
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../server/core/clock.js';
import type { DetectorConfigInput } from '../../server/detect/index.js';
import { openPipeline, type OpenPipeline } from '../../server/pipeline/open.js';
import type { CrawlSummary } from '../../server/pipeline/crawl-pipeline.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../server/sim/run.js';
import { post } from '../sim/helpers.js';

export interface Fixture {
  sim: Simulator;
  open: OpenPipeline;
  file: string;
  crawl(): Promise<CrawlSummary>;
  inject(fault: Record<string, unknown>): Promise<{ id: string; targets: number[]; targetIds: string[] }>;
}

export async function fixture(
  t: TestContext,
  simOptions: Partial<SimulatorOptions> & { nodes: number },
  detectors: DetectorConfigInput = {},
): Promise<Fixture> {
  const sim = await startSimulator({ latencyMs: 5, stabilizeMs: 100, bootstrap: 'converged', ...simOptions });
  const dir = mkdtempSync(join(tmpdir(), 'rw-pipeline-'));
  const file = join(dir, 'ringwatch.db');
  const open = await openPipeline(
    { db: file, seeds: sim.seeds, timeoutMs: 1000, detectors },
    { clock: systemClock() },
  );
  t.after(async () => {
    await open.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    sim,
    open,
    file,
    crawl: () => open.pipeline.run(),
    async inject(fault) {
      const r = await post(`${sim.control}/faults`, fault);
      if (r.status !== 201) throw new Error(`inject failed: ${r.body}`);
      return (JSON.parse(r.body) as { fault: { id: string; targets: number[]; targetIds: string[] } }).fault;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
