// Every fault kind has an observable effect through snapshot()/answerMode()/reportedId()/hooks, and
// clearing it undoes the effect; bad input is rejected with clear errors; scenarios run on the clock.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { manualClock } from '../../server/core/clock.js';
import { createSimRing } from '../../server/sim/engine/index.js';
import type { InjectResult, SimRing } from '../../server/sim/engine/index.js';
import type { RecordingHooks } from '../../server/sim/engine/testing.js';
import { advanceUntil, checkConsistency, createRecordingHooks } from '../../server/sim/engine/testing.js';

const N = 60;
let clock: ReturnType<typeof manualClock>;
let hooks: RecordingHooks;
let ring: SimRing;

function ok(r: InjectResult): string {
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.fault.id;
}

const consistentSoon = (maxMs = 20_000): number =>
  advanceUntil(clock, () => checkConsistency(ring).inconsistent.length === 0, 1000, maxMs);

describe('faults', () => {
  before(async () => {
    clock = manualClock();
    hooks = createRecordingHooks();
    ring = createSimRing({ nodes: N, seed: 77, bootstrap: 'converged', natFraction: 0 }, { clock, hooks });
    assert.equal(ring.injectFault({ kind: 'kill', node: 1 }).ok, false, 'not started yet');
    ring.start();
    const p = ring.ready();
    clock.advance(5000);
    await p;
  });

  it('rejects invalid faults with clear errors', () => {
    const bad = (json: unknown, code: string, re: RegExp) => {
      const r = ring.injectFault(json);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.error.code, code);
        assert.match(r.error.message, re);
      }
    };
    bad({}, 'invalid_fault', /kind/);
    bad({ kind: 'explode', node: 1 }, 'invalid_fault', /kind/);
    bad({ kind: 'kill' }, 'invalid_fault', /exactly one of node, count, fraction/);
    bad({ kind: 'kill', node: 1, count: 2 }, 'invalid_fault', /exactly one/);
    bad({ kind: 'kill', node: 1, colour: 'red' }, 'invalid_fault', /colour/);
    bad({ kind: 'slow', node: 1, delayMs: -5 }, 'invalid_fault', /delayMs/);
    bad({ kind: 'stall-thread', node: 1, thread: 'gc' }, 'invalid_fault', /thread/);
    bad({ kind: 'kill', node: N }, 'unknown_node', /no node/);
    bad({ kind: 'kill', node: 'ab'.repeat(20) }, 'unknown_node', /no node/);
    bad({ kind: 'kill', node: 'XYZ' }, 'invalid_fault', /40 lowercase hex/);
    assert.equal(ring.clearFault('f999'), false);
    assert.equal(ring.clearFault('nonsense'), false);
    assert.deepEqual(ring.faults(), []);
  });

  it('kill: the node goes down, peers drop it; clearing brings it back and it rejoins', () => {
    const id = ok(ring.injectFault({ kind: 'kill', node: ring.nodeId(4) }));
    assert.equal(ring.alive(4), false);
    assert.deepEqual(ring.answerMode(4), { kind: 'down' });
    assert.equal(hooks.downs.at(-1), 4);
    assert.deepEqual(
      ring.faults().map((f) => [f.id, f.kind, f.targets]),
      [[id, 'kill', [4]]],
    );
    // near peers notice within a few rounds; idle connections (inbound shortcuts) at their next keep-alive
    clock.advance(25_000);
    for (const x of ring.trueRing()) {
      const s = ring.snapshot(x);
      assert.ok(![...s.ring.left, ...s.ring.right].some((p) => p.index === 4), `${x} still lists 4`);
      assert.ok(!s.connections.some((c) => c.peer === 4), '!s.connections.some((c) => c.peer === 4)');
    }
    assert.ok(consistentSoon() >= 0, 'consistentSoon() >= 0');
    assert.equal(ring.clearFault(id), true);
    assert.equal(ring.clearFault(id), false);
    assert.equal(ring.alive(4), true);
    assert.equal(hooks.ups.at(-1), 4);
    assert.ok(consistentSoon() >= 0, 'consistentSoon() >= 0');
    assert.ok(ring.trueRing().includes(4), 'ring.trueRing().includes(4)');
  });

  it('mass-loss: a fraction dies at once and comes back after durationMs; the ring heals', () => {
    const r = ring.injectFault({ kind: 'mass-loss', fraction: 0.3, durationMs: 15_000 });
    ok(r);
    assert.ok(r.ok, 'r.ok');
    assert.equal(r.fault.targets.length, Math.round(0.3 * N));
    assert.equal(ring.stats().alive, N - r.fault.targets.length);
    assert.equal(r.fault.endsAt, clock.now() + 15_000);
    const healed = consistentSoon(14_000);
    console.log(`# mass-loss of 30 %: survivors consistent after ${healed / 1000} s`);
    assert.ok(healed >= 0, 'healed >= 0');
    clock.advance(15_000 - healed);
    assert.equal(ring.stats().alive, N);
    assert.deepEqual(ring.faults(), []);
    assert.ok(consistentSoon() >= 0, 'consistentSoon() >= 0');
  });

  it('stale-neighbor: the node keeps a wrong R1 while active; clearing heals it', () => {
    const truth = ring.trueRing();
    const x = truth[10]!;
    const wrong = truth[30]!;
    const id = ok(ring.injectFault({ kind: 'stale-neighbor', node: x, side: 'right', peer: wrong }));
    for (let s = 0; s < 20; s++) {
      clock.advance(1000);
      assert.equal(ring.snapshot(x).ring.right[0]?.index, wrong);
    }
    assert.ok(
      checkConsistency(ring).inconsistent.includes(x),
      'checkConsistency(ring).inconsistent.includes(x)',
    );
    ring.clearFault(id);
    const rounds = consistentSoon();
    assert.ok(rounds >= 0 && rounds <= 5000, `healed after ${rounds} ms`);
  });

  it('stale-neighbor with a dead peer: a dead L1 is never dropped while active', () => {
    const truth = ring.trueRing();
    const x = truth[20]!;
    const l1 = truth[19]!;
    const kill = ok(ring.injectFault({ kind: 'kill', node: l1 }));
    const stale = ok(ring.injectFault({ kind: 'stale-neighbor', node: x, side: 'left', peer: l1 }));
    clock.advance(20_000);
    assert.equal(ring.snapshot(x).ring.left[0]?.index, l1);
    assert.equal(ring.alive(l1), false);
    ring.clearFault(stale);
    clock.advance(5000);
    assert.notEqual(ring.snapshot(x).ring.left[0]?.index, l1);
    ring.clearFault(kill);
    assert.ok(consistentSoon() >= 0, 'consistentSoon() >= 0');
  });

  it('stall-thread: the named thread stops beating, others go on; clearing resumes it', () => {
    const id = ok(ring.injectFault({ kind: 'stall-thread', node: 7, thread: 'routing' }));
    hooks.beats.clear();
    clock.advance(10_000);
    assert.equal(hooks.beats.get('7:routing') ?? 0, 0);
    assert.ok((hooks.beats.get('7:timers') ?? 0) >= 5, "(hooks.beats.get('7:timers') ?? 0) >= 5");
    assert.ok(
      (hooks.beats.get('7:message-queue') ?? 0) >= 5,
      "(hooks.beats.get('7:message-queue') ?? 0) >= 5",
    );
    const th = ring.snapshot(7).threads.find((t) => t.name === 'routing')!;
    assert.equal(th.stalled, true);
    assert.ok(clock.now() - th.lastBeatAt >= 10_000, 'clock.now() - th.lastBeatAt >= 10_000');
    assert.ok(
      hooks.logs.some((l) => l.index === 7 && l.msg === 'thread stalled'),
      "hooks.logs.some((l) => l.index === 7 && l.msg === 'thread stalled')",
    );
    ring.clearFault(id);
    hooks.beats.clear();
    clock.advance(3000);
    assert.ok((hooks.beats.get('7:routing') ?? 0) >= 2, "(hooks.beats.get('7:routing') ?? 0) >= 2");
  });

  it('stall-thread message-queue: the node answers HTTP but drops overlay messages; queue grows', () => {
    const id = ok(ring.injectFault({ kind: 'stall-thread', node: 8, thread: 'message-queue' }));
    clock.advance(10_000);
    assert.deepEqual(ring.answerMode(8), { kind: 'normal' });
    assert.ok(ring.snapshot(8).queueDepth > 10, 'ring.snapshot(8).queueDepth > 10');
    ring.clearFault(id);
    assert.ok(ring.snapshot(8).queueDepth < 10, 'ring.snapshot(8).queueDepth < 10');
    assert.ok(consistentSoon() >= 0, 'consistentSoon() >= 0');
  });

  it('leak: queue depth and memory grow steadily; clearing frees them', () => {
    const base = ring.snapshot(9);
    const id = ok(ring.injectFault({ kind: 'leak', node: 9, bytesPerSec: 1_000_000, queuePerSec: 5 }));
    let prev = ring.snapshot(9);
    for (let s = 0; s < 6; s++) {
      clock.advance(10_000);
      const cur = ring.snapshot(9);
      assert.ok(cur.queueDepth > prev.queueDepth, 'cur.queueDepth > prev.queueDepth');
      assert.ok(cur.process.rssBytes > prev.process.rssBytes, 'cur.process.rssBytes > prev.process.rssBytes');
      prev = cur;
    }
    assert.ok(prev.queueDepth >= 290, 'prev.queueDepth >= 290');
    assert.ok(
      prev.process.heapUsedBytes > base.process.heapUsedBytes + 50_000_000,
      'prev.process.heapUsedBytes > base.process.heapUsedBytes + 50_000_000',
    );
    ring.clearFault(id);
    const after = ring.snapshot(9);
    assert.ok(after.queueDepth < 10, 'after.queueDepth < 10');
    assert.ok(
      after.process.heapUsedBytes < base.process.heapUsedBytes + 30_000_000,
      'after.process.heapUsedBytes < base.process.heapUsedBytes + 30_000_000',
    );
  });

  it('slow, hang, garbage: answer modes for the host, restored on clear', () => {
    const slow = ok(ring.injectFault({ kind: 'slow', node: 11, delayMs: 2500 }));
    const hang = ok(ring.injectFault({ kind: 'hang', node: 12 }));
    const garbage = ok(ring.injectFault({ kind: 'garbage', node: 13 }));
    assert.deepEqual(ring.answerMode(11), { kind: 'slow', delayMs: 2500 });
    assert.deepEqual(ring.answerMode(12), { kind: 'hang' });
    assert.deepEqual(ring.answerMode(13), { kind: 'garbage' });
    // a second fault on the same node wins while active, the first comes back after it is cleared
    const hang11 = ok(ring.injectFault({ kind: 'hang', node: 11 }));
    assert.deepEqual(ring.answerMode(11), { kind: 'hang' });
    ring.clearFault(hang11);
    assert.deepEqual(ring.answerMode(11), { kind: 'slow', delayMs: 2500 });
    for (const f of [slow, hang, garbage]) ring.clearFault(f);
    for (const i of [11, 12, 13]) assert.deepEqual(ring.answerMode(i), { kind: 'normal' });
  });

  it('count and fraction pick distinct random alive nodes', () => {
    const r = ring.injectFault({ kind: 'hang', count: 5 });
    assert.ok(r.ok, 'r.ok');
    assert.equal(new Set(r.fault.targets).size, 5);
    assert.deepEqual(
      r.fault.targetIds,
      r.fault.targets.map((i) => ring.nodeId(i)),
    );
    for (const i of r.fault.targets) assert.equal(ring.answerMode(i).kind, 'hang');
    ring.clearFault(r.fault.id);
    const f = ring.injectFault({ kind: 'garbage', fraction: 0.1, durationMs: 1000 });
    assert.ok(f.ok, 'f.ok');
    assert.equal(f.fault.targets.length, 6);
    clock.advance(1000);
    assert.ok(
      f.fault.targets.every((i) => ring.answerMode(i).kind === 'normal'),
      "f.fault.targets.every((i) => ring.answerMode(i).kind === 'normal')",
    );
  });

  it('lie-id: the agent reports another node’s ID; clearing restores it', () => {
    const id = ok(ring.injectFault({ kind: 'lie-id', node: 14, as: 15 }));
    assert.equal(ring.reportedId(14), ring.nodeId(15));
    assert.notEqual(ring.reportedId(14), ring.nodeId(14));
    ring.clearFault(id);
    assert.equal(ring.reportedId(14), ring.nodeId(14));
    const rnd = ok(ring.injectFault({ kind: 'lie-id', node: 14 }));
    assert.notEqual(ring.reportedId(14), ring.nodeId(14));
    assert.match(ring.reportedId(14), /^[0-9a-f]{40}$/);
    ring.clearFault(rnd);
  });

  it('duplicate-id: a node takes a live node’s ID and rejoins with it; clearing restores its own', () => {
    const own = ring.nodeId(16);
    const started = ring.snapshot(16).startedAt;
    const id = ok(ring.injectFault({ kind: 'duplicate-id', node: 16, as: 17 }));
    assert.equal(ring.nodeId(16), ring.nodeId(17));
    assert.equal(ring.alive(16), false);
    clock.advance(10_000);
    const s = ring.snapshot(16);
    assert.ok(s.alive && s.startedAt > started, 's.alive && s.startedAt > started');
    assert.equal(s.id, ring.nodeId(17));
    // it rejoined at 17's position: it now has 17's neighbours
    const n17 = ring.snapshot(17);
    const near17 = new Set([...n17.ring.left, ...n17.ring.right].map((p) => p.index));
    assert.ok(
      [...s.ring.left, ...s.ring.right].some((p) => near17.has(p.index)),
      '[...s.ring.left, ...s.ring.right].some((p) => near17.has(p.index))',
    );
    ring.clearFault(id);
    assert.equal(ring.nodeId(16), own);
    clock.advance(1000);
    assert.ok(ring.alive(16), 'ring.alive(16)');
    assert.ok(consistentSoon(30_000) >= 0, 'not consistent 30 s after clearing duplicate-id');
  });

  it('logs fault start and stop on the targets', () => {
    const id = ok(ring.injectFault({ kind: 'slow', node: 20 }));
    ring.clearFault(id);
    const msgs = hooks.logs.filter((l) => l.index === 20).map((l) => l.msg);
    assert.ok(
      msgs.includes('fault injected') && msgs.includes('fault cleared'),
      "msgs.includes('fault injected') && msgs.includes('fault cleared')",
    );
  });
});

describe('scenarios', () => {
  it('schedules faults on the clock, reports progress, validates up front and can be cancelled', () => {
    const c = manualClock();
    const r = createSimRing(
      { nodes: 20, seed: 3, bootstrap: 'converged' },
      { clock: c, hooks: createRecordingHooks() },
    );
    r.start();
    const bad = r.schedule([{ atMs: 10, fault: { kind: 'kill' } }]);
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.error.message, /step 0/);
    assert.equal(r.schedule({ atMs: 1 }).ok, false);
    const s = r.schedule([
      { atMs: 5000, fault: { kind: 'kill', node: 2 } },
      { atMs: 8000, fault: { kind: 'slow', node: 3, delayMs: 100, durationMs: 2000 } },
      { atMs: 9000, fault: { kind: 'kill', node: 99 } },
    ]);
    assert.ok(s.ok, 's.ok');
    assert.equal(s.scheduled, 3);
    c.advance(4999);
    assert.ok(r.alive(2), 'r.alive(2)');
    c.advance(1);
    assert.equal(r.alive(2), false);
    c.advance(3000);
    assert.deepEqual(r.answerMode(3), { kind: 'slow', delayMs: 100 });
    c.advance(2000);
    assert.deepEqual(r.answerMode(3), { kind: 'normal' });
    const rec = r.scenarios()[0]!;
    assert.equal(rec.injected.length, 2);
    assert.deepEqual(
      rec.errors.map((e) => [e.step, e.error.code]),
      [[2, 'unknown_node']],
    );
    const later = r.schedule([{ atMs: 1000, fault: { kind: 'hang', node: 5 } }]);
    assert.ok(later.ok, 'later.ok');
    assert.equal(r.cancelScenario(later.scenario.id), true);
    c.advance(2000);
    assert.deepEqual(r.answerMode(5), { kind: 'normal' });
    r.stop();
  });
});
