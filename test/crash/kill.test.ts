/**
 * Crash safety: a worker process (worker.ts) crawls a simulated ring into SQLite, feeds the alert engine and
 * runs retention in a loop; the test SIGKILLs it at random moments (seeded: replay a failure with
 * RINGWATCH_CRASH_SEED=<seed printed>, change the count with RINGWATCH_CRASH_RUNS), reopens the database
 * after every kill and checks it (checks.ts). The simulator lives in this process, so a kill never takes the
 * ring down; a stale-neighbor fault from before the first crawl keeps a persistent-inconsistency streak live.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng } from '../../server/sim/engine/prng.js';
import { startSimulator, type Simulator } from '../../server/sim/run.js';
import { checkDatabase, type CheckOptions } from './checks.js';
import { buildWorker, crashSeed, sleep, startWorker, type BuiltWorker } from './harness.js';

/**
 * 40 kills, or fewer (never under 20) when the kill loop has used BUDGET_MS: a worker takes 0.5 s of CPU
 * just to load, seconds of wall time on a busy 2-core machine. RINGWATCH_CRASH_RUNS=n runs exactly n.
 */
const EXACT_RUNS = process.env.RINGWATCH_CRASH_RUNS ? Number(process.env.RINGWATCH_CRASH_RUNS) : null;
const MAX_RUNS = EXACT_RUNS ?? 40;
const MIN_RUNS = EXACT_RUNS ?? 20;
const BUDGET_MS = EXACT_RUNS === null ? 60_000 : Infinity;
const K = 3;

describe('SIGKILL at random moments', () => {
  let worker: BuiltWorker;
  let sim: Simulator;
  let dir: string;
  let faultyNode: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-crash-'));
    worker = await buildWorker();
    sim = await startSimulator({
      nodes: 30,
      seed: 21,
      latencyMs: 5,
      stabilizeMs: 100,
      bootstrap: 'converged',
    });
    const r = sim.ring.injectFault({ kind: 'stale-neighbor', node: 4, side: 'right', peer: 17 });
    if (!r.ok) throw new Error(`inject: ${r.error.message}`);
    faultyNode = r.fault.targetIds[0]!;
    await sleep(500);
  });
  after(async () => {
    await sim?.close();
    worker?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`up to ${MAX_RUNS} kills: the database stays whole, crawls are aborted, streaks and alerts stay exact`, async (t) => {
    const seed = crashSeed();
    t.diagnostic(`seed ${seed} (replay with RINGWATCH_CRASH_SEED=${seed})`);
    const rnd = createPrng(seed);
    const file = join(dir, 'ringwatch.db');
    const notifyFile = join(dir, 'notifications.jsonl');
    const args = ['--mode', 'crawl', '--db', file, '--seeds', sim.seeds.join(','), '--notify', notifyFile];
    args.push('--persistent-crawls', String(K), '--step-ms', '60000', '--gate');
    const opts: CheckOptions = { faultyNode, persistentCrawls: K, notifyFile };
    const stats = { crawls: 0, abortedByCheck: 0, abortedByWorker: 0 };
    const plans = new Map<string, number>();
    const lastSteps = new Map<string, number>();
    // How long a worker's first crawl takes (ready → `crawled`), learnt as the runs go, to aim kills at it.
    let firstCrawlMs = 1000;
    let leftRunning: number[] = [];

    // Each worker is started (and loads) while the one before it runs and is checked; --gate holds it.
    let next = startWorker(worker.file, args);
    const t0 = Date.now();
    let run = 0;
    for (; run < MAX_RUNS && (run < MIN_RUNS || Date.now() - t0 < BUDGET_MS); run++) {
      const r = rnd.next();
      const plan = r < 0.15 ? 'opening' : r < 0.5 ? 'first crawl' : r < 0.75 ? 'recording' : 'after a crawl';
      const x = rnd.next();
      // opening: from go; first crawl: from ready; recording: from `crawled` (all nodes visited; analysis,
      // the recording transaction and the alert engine follow within ~20–100 ms); after a crawl: from its
      // `crawl` line (alerting done; retention and the next crawl follow).
      const delay = Math.round(
        plan === 'opening'
          ? x * 300
          : plan === 'first crawl'
            ? x * 1.1 * firstCrawlMs
            : plan === 'recording'
              ? x * 100
              : x * 400,
      );
      const recover = rnd.next() < 0.5;
      const where = `run ${run} (seed ${seed}, ${plan} +${delay} ms)`;
      const w = next;
      next = startWorker(worker.file, args);
      try {
        await w.waitForLine(/^loaded$/, 60_000);
        w.go();
        if (plan !== 'opening') {
          const ready = await w.waitForLine(/^ready /, 60_000);
          const readyAt = Date.now();
          // The crawl the previous check left running is the one this worker found and aborted.
          assert.equal(/aborted=(\S*)/.exec(ready)?.[1] ?? '', leftRunning.join(','), 'recovered crawls');
          stats.abortedByWorker += leftRunning.length;
          if (plan === 'recording' || plan === 'after a crawl') {
            await w.waitForLine(/^crawled /, 60_000);
            firstCrawlMs = 0.6 * firstCrawlMs + 0.4 * (Date.now() - readyAt);
          }
          if (plan === 'after a crawl') await w.waitForLine(/^crawl /, 60_000);
        }
        await sleep(delay);
        const exit = await w.kill();
        assert.equal(exit.signal, 'SIGKILL', `worker ended by itself: ${JSON.stringify(exit)} ${w.stderr()}`);
        plans.set(plan, (plans.get(plan) ?? 0) + 1);
        const step = w.lines[w.lines.length - 1]!.split(' ')[0]!;
        lastSteps.set(step, (lastSteps.get(step) ?? 0) + 1);
        stats.crawls += w.lines.filter((l) => l.startsWith('crawl ')).length;
        // An early kill may come before the worker recovered the crawl left running: check it either way.
        const report = await checkDatabase(file, { ...opts, recover });
        leftRunning = recover ? [] : report.running;
        if (recover) stats.abortedByCheck += report.running.length;
      } catch (err) {
        await w.kill();
        await next.kill();
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(`${where}: ${why}\n${w.lines.join('\n')}`, { cause: err });
      }
    }
    await next.kill();

    // A last worker runs K crawls to the end: the node is flagged, the alert agrees with it exactly.
    const w = startWorker(worker.file, [...args, '--crawls', String(K)]);
    await w.waitForLine(/^loaded$/, 60_000);
    w.go();
    const exit = await w.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, w.stderr());
    const final = await checkDatabase(file, { ...opts, settled: true });
    t.diagnostic(
      `runs ${run}, failures 0; aimed at ${[...plans].map(([p, n]) => `${p} ${n}`).join(', ')}; ` +
        `last step before the kill: ${[...lastSteps].map(([p, n]) => `${p} ${n}`).join(', ')}; ` +
        `crawls completed ${stats.crawls}, recorded ${final.succeeded}, pruned ${final.pruned}; ` +
        `running crawls aborted by the next open: ${stats.abortedByCheck} (checker) + ` +
        `${stats.abortedByWorker} (worker); streak ${final.streak} (exact ${final.exact}), ` +
        `flagged ${final.flagged}; alerts firing ${final.firingAlerts}, notifications ${final.notifications}`,
    );
    // The run exercised what it claims: crawls recorded and pruned, the streak reached K, an alert fired.
    assert.ok(final.succeeded >= K, `only ${final.succeeded} crawls recorded`);
    assert.ok(final.pruned > 0, 'retention never pruned');
    assert.equal(final.flagged, final.streak >= K);
    assert.ok(final.flagged, 'the faulty node was never flagged');
    assert.ok(final.firingAlerts >= 1);
    assert.ok(stats.crawls > 0, `no kill fell after a crawl: ${JSON.stringify(stats)}`);
  });
});
