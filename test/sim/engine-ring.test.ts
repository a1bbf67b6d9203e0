// The simulated ring converges through the protocol alone, is deterministic per seed, and builds
// Symphony shortcuts with a harmonic distance distribution.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../../server/core/clock.js';
import { createSimRing } from '../../server/sim/engine/index.js';
import type { SimRing } from '../../server/sim/engine/index.js';
import { advanceUntil, checkConsistency, createRecordingHooks } from '../../server/sim/engine/testing.js';

const SPACE = 2n ** 160n;

function joinRing(nodes: number, seed: number, extra: Record<string, unknown> = {}) {
  const clock = manualClock();
  const hooks = createRecordingHooks();
  const ring = createSimRing({ nodes, seed, latencyMs: 80, latencyJitter: 0.3, ...extra }, { clock, hooks });
  return { clock, hooks, ring };
}

async function bootstrap(
  clock: ReturnType<typeof manualClock>,
  ring: SimRing,
  maxMs: number,
): Promise<number> {
  ring.start();
  const p = ring.ready();
  const waited = advanceUntil(clock, () => ring.isReady(), 250, maxMs);
  assert.ok(waited >= 0, 'ring never became ready');
  await p;
  return waited;
}

describe('ring convergence through joins', () => {
  for (const n of [50, 500]) {
    it(`${n} nodes join in doubling waves and converge to the true ring`, async () => {
      const { clock, hooks, ring } = joinRing(n, n);
      const readyMs = await bootstrap(clock, ring, 120_000);
      assert.equal(hooks.ups.length, n);
      assert.equal(ring.stats().joins, n - 1);
      // after ready, count stabilisation rounds until every L1/L2/R1/R2 matches the true ring
      const rounds =
        advanceUntil(clock, () => checkConsistency(ring).inconsistent.length === 0, 1000, 30_000) / 1000;
      console.log(`# N=${n}: ready after ${readyMs / 1000} s, consistent ${rounds} rounds later`);
      assert.ok(rounds >= 0 && rounds <= 10, `not converged within 10 rounds after ready (${rounds})`);
      // and it stays consistent without churn
      clock.advance(20_000);
      assert.deepEqual(checkConsistency(ring).inconsistent, []);
      const s = ring.snapshot(0);
      assert.equal(s.ring.left.length, 3);
      assert.equal(s.ring.right.length, 3);
      for (const c of s.connections) {
        assert.match(c.peerId, /^[0-9a-f]{40}$/);
        assert.ok(
          c.rttMs > 0 && c.ageSeconds >= 0 && c.bytesIn >= 0 && c.bytesOut >= 0,
          'c.rttMs > 0 && c.ageSeconds >= 0 && c.bytesIn >= 0 && c.bytesOut >= 0',
        );
      }
      // neighbour-change logs are rare once converged
      const before = hooks.logs.length;
      clock.advance(30_000);
      assert.ok(hooks.logs.length - before <= n / 10, `${hooks.logs.length - before} logs in 30 s of quiet`);
      ring.stop();
    });
  }

  it('a converged bootstrap starts consistent and stays so under the protocol', async () => {
    const clock = manualClock();
    const ring = createSimRing(
      { nodes: 300, bootstrap: 'converged', seed: 9 },
      { clock, hooks: createRecordingHooks() },
    );
    ring.start();
    assert.deepEqual(checkConsistency(ring).inconsistent, []);
    const p = ring.ready();
    clock.advance(5000);
    await p;
    clock.advance(30_000);
    assert.deepEqual(checkConsistency(ring).inconsistent, []);
    ring.stop();
  });
});

describe('determinism', () => {
  it('the same seed reproduces the same run; another seed does not', () => {
    const run = (seed: number) => {
      const { clock, ring } = joinRing(80, seed, {
        natFraction: 0.3,
        churnPerHour: 60,
        downtimeMs: [1000, 3000],
      });
      ring.start();
      clock.advance(40_000);
      const snaps = [0, 17, 42, 79].map((i) => ring.snapshot(i));
      return JSON.stringify({ snaps, stats: ring.stats(), ids: [ring.nodeId(0), ring.nodeId(79)] });
    };
    const a = run(11);
    assert.equal(a, run(11));
    assert.notEqual(a, run(12));
  });
});

describe('shortcuts', () => {
  it('follow a harmonic distance distribution (d = n^(u-1)) and are found by routed lookups', async () => {
    const { clock, ring } = joinRing(600, 5, { natFraction: 0 });
    await bootstrap(clock, ring, 120_000);
    clock.advance(20_000);
    const n = ring.trueRing().length;
    const xs: number[] = [];
    for (let i = 0; i < ring.size; i++) {
      const me = BigInt('0x' + ring.nodeId(i));
      for (const c of ring.snapshot(i).connections) {
        if (c.kind !== 'shortcut' || !c.outbound) continue;
        const d = Number((((BigInt('0x' + c.peerId) - me) % SPACE) + SPACE) % SPACE) / Number(SPACE);
        xs.push(1 + Math.log(d) / Math.log(n)); // uniform on [0, 1) for a harmonic distribution
      }
    }
    assert.ok(xs.length > ring.size * 2, `only ${xs.length} outbound shortcuts`);
    // Targets within ~3 node spacings (x < 1 - ln(n/3)/ln(n) ≈ 0.17 here) land on near neighbours and are
    // reported as near connections, so compare the distribution beyond the near neighbourhood.
    const far = xs
      .filter((x) => x >= 0.25)
      .map((x) => (x - 0.25) / 0.75)
      .sort((a, b) => a - b);
    let ks = 0;
    far.forEach((x, i) => (ks = Math.max(ks, Math.abs(x - (i + 0.5) / far.length))));
    const quart = [0.25, 0.5, 0.75, 1.01].map((q) => xs.filter((x) => x < q).length / xs.length);
    console.log(
      `# ${xs.length} shortcuts; CDF at x=0.25/0.5/0.75: ${quart
        .slice(0, 3)
        .map((q) => q.toFixed(2))
        .join(',')}; ` + `KS distance to uniform beyond x=0.25: ${ks.toFixed(3)} (${far.length} shortcuts)`,
    );
    assert.ok(ks < 0.08, `KS ${ks}`);
    assert.ok(far.length > xs.length * 0.8, 'far.length > xs.length * 0.8');
    ring.stop();
  });
});

describe('threads and beats', () => {
  it('beats every thread well within its deadline', async () => {
    const { clock, hooks, ring } = joinRing(30, 3);
    await bootstrap(clock, ring, 60_000);
    assert.deepEqual([...ring.threads()], ['message-queue', 'routing', 'dht', 'timers']);
    assert.equal(ring.threadDeadlineMs('dht'), 5000);
    assert.throws(() => ring.threadDeadlineMs('nope'), RangeError);
    hooks.beats.clear();
    clock.advance(10_000);
    for (let i = 0; i < 30; i++) {
      for (const th of ring.threads()) assert.ok((hooks.beats.get(`${i}:${th}`) ?? 0) >= 5, `${i}:${th}`);
      const s = ring.snapshot(i);
      for (const th of s.threads)
        assert.ok(clock.now() - th.lastBeatAt < 5000, 'clock.now() - th.lastBeatAt < 5000');
    }
    assert.throws(() => ring.snapshot(30), RangeError);
    ring.stop();
  });
});
