// Churn makes the ring transiently inconsistent and it heals by itself within a bounded number of
// stabilisation rounds; restarts reset counters; metrics that must be monotonic are.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../../server/core/clock.js';
import { createSimRing } from '../../server/sim/engine/index.js';
import { advanceUntil, checkConsistency, createRecordingHooks } from '../../server/sim/engine/testing.js';

describe('churn', () => {
  it('yields transient inconsistency that heals within a bounded number of rounds', async () => {
    const clock = manualClock();
    const hooks = createRecordingHooks();
    const n = 200;
    const ring = createSimRing(
      {
        nodes: n,
        seed: 21,
        bootstrap: 'converged',
        churnPerHour: 120,
        downtimeMs: [2000, 5000],
        latencyMs: 100,
        latencyJitter: 0.5,
      },
      { clock, hooks },
    );
    ring.start();
    const p = ring.ready();
    clock.advance(3000);
    await p;
    // 60 s of heavy churn (every node restarts every 30 s on average): record, per node, the longest run
    // of consecutive 1 s rounds in which it was inconsistent while alive
    const run = new Map<number, number>();
    const streaks: number[] = [];
    let maxBad = 0;
    for (let s = 0; s < 60; s++) {
      clock.advance(1000);
      const bad = new Set(checkConsistency(ring).inconsistent);
      maxBad = Math.max(maxBad, bad.size);
      for (let i = 0; i < n; i++) {
        const r = run.get(i) ?? 0;
        if (bad.has(i)) run.set(i, r + 1);
        else if (r > 0) {
          streaks.push(r);
          run.set(i, 0);
        }
      }
    }
    streaks.push(...[...run.values()].filter((r) => r > 0));
    streaks.sort((a, b) => a - b);
    const longest = streaks.at(-1) ?? 0;
    const p95 = streaks[Math.floor(streaks.length * 0.95)] ?? 0;
    const restarts = ring.stats().restarts;
    assert.ok(restarts > 50, `only ${restarts} restarts`);
    assert.ok(maxBad > 0, 'churn never made the ring inconsistent');
    // stop churn; once every node is back, count rounds until fully consistent again
    ring.setChurn(0);
    const back = advanceUntil(clock, () => ring.stats().alive === n, 250, 10_000);
    assert.ok(back >= 0, 'back >= 0');
    const heal =
      advanceUntil(clock, () => checkConsistency(ring).inconsistent.length === 0, 1000, 60_000) / 1000;
    console.log(
      `# ${restarts} restarts in 60 s: up to ${maxBad}/${n} nodes inconsistent at once; inconsistent streaks ` +
        `(consecutive rounds) p50 ${streaks[streaks.length >> 1]} p95 ${p95} max ${longest}; ` +
        `all consistent ${heal} rounds after the last node came back`,
    );
    assert.ok(heal >= 0 && heal <= 8, `healing took ${heal} rounds`);
    // streaks overlap when several neighbours of a node churn in a row; a single event heals in a few rounds
    assert.ok(p95 <= 8, `p95 inconsistent streak ${p95} rounds`);
    assert.ok(longest <= 25, `a node stayed inconsistent for ${longest} rounds under churn`);
    assert.ok(
      hooks.logs.some((l) => l.msg === 'peer lost'),
      "hooks.logs.some((l) => l.msg === 'peer lost')",
    );
    assert.ok(
      hooks.logs.some((l) => l.msg === 'node restarted'),
      "hooks.logs.some((l) => l.msg === 'node restarted')",
    );
    ring.stop();
  });
});

describe('counters and metrics', () => {
  it('restart resets counters and start time; the node rejoins with the same ID', async () => {
    const clock = manualClock();
    const hooks = createRecordingHooks();
    const ring = createSimRing({ nodes: 40, seed: 2, bootstrap: 'converged' }, { clock, hooks });
    ring.start();
    const p = ring.ready();
    clock.advance(60_000);
    await p;
    const before = ring.snapshot(7);
    const id = ring.nodeId(7);
    const r = ring.injectFault({ kind: 'restart', node: 7, downMs: 3000 });
    assert.ok(r.ok, 'r.ok');
    assert.equal(ring.alive(7), false);
    assert.deepEqual(ring.answerMode(7), { kind: 'down' });
    assert.equal(hooks.downs.at(-1), 7);
    clock.advance(3000);
    assert.equal(ring.alive(7), true);
    assert.equal(hooks.ups.at(-1), 7);
    assert.equal(ring.faults().length, 0, 'restart ends by itself');
    clock.advance(5000);
    const after = ring.snapshot(7);
    assert.equal(ring.nodeId(7), id);
    assert.ok(after.startedAt > before.startedAt, 'after.startedAt > before.startedAt');
    assert.ok(
      after.traffic.bytesOut < before.traffic.bytesOut,
      'after.traffic.bytesOut < before.traffic.bytesOut',
    );
    assert.ok(
      after.traffic.packetsIn < before.traffic.packetsIn,
      'after.traffic.packetsIn < before.traffic.packetsIn',
    );
    assert.ok(
      after.process.cpuSeconds < before.process.cpuSeconds,
      'after.process.cpuSeconds < before.process.cpuSeconds',
    );
    assert.ok(
      after.connections.every((c) => c.ageSeconds <= 5),
      'after.connections.every((c) => c.ageSeconds <= 5)',
    );
    advanceUntil(clock, () => checkConsistency(ring).inconsistent.length === 0, 1000, 20_000);
    assert.deepEqual(checkConsistency(ring).inconsistent, []);
    ring.stop();
  });

  it('traffic and cpu are monotonic, memory and queue plausible', async () => {
    const clock = manualClock();
    const ring = createSimRing(
      { nodes: 60, seed: 4, natFraction: 0.3 },
      { clock, hooks: createRecordingHooks() },
    );
    ring.start();
    const p = ring.ready();
    clock.advance(30_000);
    await p;
    for (const i of [0, 13, 59]) {
      let prev = ring.snapshot(i);
      const heaps: number[] = [];
      const conns = new Map<number, { bytesIn: number; bytesOut: number; ageSeconds: number }>();
      for (let s = 0; s < 120; s++) {
        clock.advance(500);
        const cur = ring.snapshot(i);
        for (const k of ['bytesIn', 'bytesOut', 'packetsIn', 'packetsOut'] as const) {
          assert.ok(cur.traffic[k] >= prev.traffic[k], `${k} went down`);
          assert.ok(Number.isSafeInteger(cur.traffic[k]), 'Number.isSafeInteger(cur.traffic[k])');
        }
        assert.ok(
          cur.process.cpuSeconds >= prev.process.cpuSeconds,
          'cur.process.cpuSeconds >= prev.process.cpuSeconds',
        );
        assert.ok(
          cur.process.rssBytes > cur.process.heapUsedBytes,
          'cur.process.rssBytes > cur.process.heapUsedBytes',
        );
        assert.ok(
          cur.process.eventLoopLagMs > 0 && cur.process.eventLoopLagMs < 100,
          'cur.process.eventLoopLagMs > 0 && cur.process.eventLoopLagMs < 100',
        );
        assert.ok(cur.queueDepth >= 0 && cur.queueDepth < 10, 'cur.queueDepth >= 0 && cur.queueDepth < 10');
        for (const c of cur.connections) {
          const old = conns.get(c.peer);
          if (old && c.ageSeconds >= old.ageSeconds) {
            assert.ok(
              c.bytesIn >= old.bytesIn && c.bytesOut >= old.bytesOut,
              'c.bytesIn >= old.bytesIn && c.bytesOut >= old.bytesOut',
            );
          }
          conns.set(c.peer, c);
        }
        heaps.push(cur.process.heapUsedBytes);
        prev = cur;
      }
      // the GC sawtooth: heap goes up and down over a minute
      let drops = 0;
      for (let j = 1; j < heaps.length; j++) if (heaps[j]! < heaps[j - 1]!) drops++;
      assert.ok(drops >= 1, 'no GC sawtooth');
      assert.ok(prev.traffic.bytesOut > 60_000, `only ${prev.traffic.bytesOut} bytes out in 90 s`);
    }
    ring.stop();
  });
});
