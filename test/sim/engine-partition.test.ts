// A partition splits the ring into two rings that no longer know each other; clearing it heals them into
// one again through remembered peers (probes), without any global knowledge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../../server/core/clock.js';
import { createSimRing } from '../../server/sim/engine/index.js';
import type { SimRing } from '../../server/sim/engine/index.js';
import {
  advanceUntil,
  checkConsistency,
  createRecordingHooks,
  followRight,
} from '../../server/sim/engine/testing.js';

function assertOwnRing(ring: SimRing, group: number[], label: string): void {
  const members = new Set(group);
  const cycle = followRight(ring, group[0]!);
  assert.equal(cycle.length, group.length, `${label}: R1 cycle has ${cycle.length} of ${group.length} nodes`);
  assert.ok(
    cycle.every((x) => members.has(x)),
    `${label}: R1 pointers leave the group`,
  );
  assert.deepEqual(checkConsistency(ring, group).inconsistent, [], `${label}: not consistent on its own`);
}

async function converged(nodes: number, seed: number) {
  const clock = manualClock();
  const ring = createSimRing(
    { nodes, seed, bootstrap: 'converged' },
    { clock, hooks: createRecordingHooks() },
  );
  ring.start();
  const p = ring.ready();
  clock.advance(5000);
  await p;
  return { clock, ring };
}

describe('partition', () => {
  for (const mode of ['random', 'arc'] as const) {
    it(`${mode}: two rings form, then heal into one after clearing`, async () => {
      const { clock, ring } = await converged(200, mode === 'random' ? 1 : 2);
      const r = ring.injectFault({ kind: 'partition', fraction: mode === 'random' ? 0.5 : 0.3, mode });
      assert.ok(r.ok, 'partition injected');
      assert.equal(ring.injectFault({ kind: 'partition' }).ok, false, 'only one partition at a time');
      const a = r.fault.targets;
      const b = ring.trueRing().filter((x) => !a.includes(x));
      assert.equal(a.length, mode === 'random' ? 100 : 60);
      const split = advanceUntil(
        clock,
        () =>
          checkConsistency(ring, a).inconsistent.length === 0 &&
          checkConsistency(ring, b).inconsistent.length === 0,
        1000,
        60_000,
      );
      assert.ok(split >= 0, 'the two sides never settled into rings of their own');
      clock.advance(10_000);
      assertOwnRing(ring, a, 'side A');
      assertOwnRing(ring, b, 'side B');
      // they no longer know each other
      for (const x of a) {
        const s = ring.snapshot(x);
        assert.ok(
          [...s.ring.left, ...s.ring.right].every((p) => a.includes(p.index)),
          `${x} still lists the other side`,
        );
      }
      assert.ok(ring.clearFault(r.fault.id), 'cleared');
      const heal = advanceUntil(clock, () => checkConsistency(ring).inconsistent.length === 0, 1000, 120_000);
      console.log(
        `# ${mode} partition: two rings after ${split / 1000} s; one ring again ${heal / 1000} s after clearing`,
      );
      assert.ok(heal >= 0 && heal <= 75_000, `healing took ${heal} ms`);
      assert.equal(followRight(ring, a[0]!).length, 200);
      ring.stop();
    });
  }

  it('durationMs heals by itself', async () => {
    const { clock, ring } = await converged(60, 3);
    const r = ring.injectFault({ kind: 'partition', durationMs: 20_000 });
    assert.ok(r.ok, 'partition injected');
    clock.advance(20_000);
    assert.deepEqual(ring.faults(), []);
    assert.ok(
      advanceUntil(clock, () => checkConsistency(ring).inconsistent.length === 0, 1000, 90_000) >= 0,
      'not healed',
    );
    ring.stop();
  });
});
