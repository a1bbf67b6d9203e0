// Scale check: a 10,000-node ring with a converged bootstrap steps 30 simulated seconds on the real
// latency matrix; timing and memory are printed, not asserted.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { manualClock } from '../../server/core/clock.js';
import { createSimRing } from '../../server/sim/engine/index.js';
import { checkConsistency, createRecordingHooks } from '../../server/sim/engine/testing.js';

const MATRIX = fileURLToPath(new URL('../../../shared/data/latency/rtt_matrix.txt', import.meta.url));

describe('scale', () => {
  it('10,000 nodes, converged bootstrap, 30 simulated seconds', () => {
    const clock = manualClock();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const ring = createSimRing(
      {
        nodes: 10_000,
        seed: 1,
        bootstrap: 'converged',
        ...(existsSync(MATRIX) ? { latencyMatrix: MATRIX } : { latencyMs: 100 }),
      },
      { clock, hooks: createRecordingHooks({ keepLogs: false }) },
    );
    ring.start();
    const startMs = performance.now() - t0;
    const t1 = performance.now();
    clock.advance(30_000);
    const stepMs = performance.now() - t1;
    const mem = process.memoryUsage();
    const stats = ring.stats();
    console.log(
      `# 10k nodes: create+start ${startMs.toFixed(0)} ms, 30 simulated s in ${stepMs.toFixed(0)} ms ` +
        `(${(30_000 / stepMs) | 0}x real time); ${stats.events} events, ${stats.messages} messages, ` +
        `${stats.connections} connection records; heapUsed +${((mem.heapUsed - heap0) / 2 ** 20).toFixed(0)} MB, ` +
        `arrayBuffers ${(mem.arrayBuffers / 2 ** 20).toFixed(0)} MB, rss ${(mem.rss / 2 ** 20).toFixed(0)} MB`,
    );
    assert.ok(ring.isReady(), 'ready');
    assert.equal(stats.alive, 10_000);
    assert.equal(stats.timeouts, 0, 'no spurious timeouts without faults');
    const sample = Array.from({ length: 500 }, (_, i) => i * 20);
    const bad = checkConsistency(ring).inconsistent;
    assert.deepEqual(bad, [], `${bad.length} inconsistent nodes`);
    const conns = sample.map((i) => ring.snapshot(i).connections.length);
    const mean = conns.reduce((a, b) => a + b, 0) / conns.length;
    assert.ok(mean > 10 && mean < 40, `mean ${mean} connections per node`);
    ring.stop();
  });
});
