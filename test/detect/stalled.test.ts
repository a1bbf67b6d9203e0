import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, T0, CRAWL_MS, activeOf, brief, endpointOf, ids } from './helpers.js';
import type { NodeSpec, ThreadSpec } from './helpers.js';

const RING = ids(4);
const X = RING[1]!;
const x4 = X.slice(-4);
const only = ['thread_stalled' as const];
const RUNNING: ThreadSpec = { name: 'routing', beatAgoMs: 500 };
/** The ring with X reporting `threads` (others: a healthy routing thread). */
function ring(threads: ThreadSpec[], patch: Partial<NodeSpec> = {}): NodeSpec[] {
  return RING.map((id) => (id === X ? { id, threads, ...patch } : { id, threads: [RUNNING] }));
}
const dht = (t: Partial<ThreadSpec>): ThreadSpec => ({ name: 'dht', deadlineMs: 30_000, ...t });

void describe('stalled threads', () => {
  void it('a thread reported stalled in 2 consecutive crawls is signalled at the 2nd, cleared when it runs again', async () => {
    const h = new Harness({ only });
    assert.deepEqual(await h.step(ring([RUNNING, dht({})])), []);
    assert.deepEqual(
      await h.step(ring([RUNNING, dht({ state: 'stalled', beatAgoMs: 40_000 })])),
      [],
      'not at the 1st',
    );
    const second = await h.step(ring([RUNNING, dht({ state: 'stalled', beatAgoMs: 100_000 })]));
    assert.deepEqual(brief(second), [`thread_stalled ${x4} dht +`]);
    const s = second[0]!;
    assert.deepEqual([s.detector, s.since, s.value], ['thread_stalled', T0 + CRAWL_MS, 100]);
    assert.match(
      s.detail,
      /thread "dht" stalled in 2 consecutive crawls \(reported stalled\): last heartbeat 100 s/,
    );
    assert.match(s.detail, /deadline 30 s/);

    const third = await h.step(ring([RUNNING, dht({ state: 'stalled', beatAgoMs: 160_000 })]));
    assert.deepEqual([third.length, third[0]!.since, third[0]!.value], [1, T0 + CRAWL_MS, 160]);

    const runs = await h.step(ring([RUNNING, dht({ beatAgoMs: 10 })]));
    assert.deepEqual(brief(runs), [`thread_stalled ${x4} dht -`]);
    assert.equal(runs[0]!.since, T0 + CRAWL_MS);
    assert.match(runs[0]!.detail, /running again/);
    assert.deepEqual(await h.step(ring([RUNNING, dht({})])), []);
    assert.equal(h.data.get('thread_stalled')?.size ?? 0, 0, 'no state left behind');
  });

  void it('a stall in one crawl only (then running) raises nothing', async () => {
    const h = new Harness({ only });
    const out = [];
    for (const state of ['stalled', 'running', 'stalled', 'running'] as const) {
      out.push(...(await h.step(ring([dht({ state, beatAgoMs: state === 'stalled' ? 60_000 : 0 })]))));
    }
    assert.deepEqual(out, []);
  });

  void it("a 'running' thread whose heartbeat is older than its deadline at the node's own clock is stalled", async () => {
    const h = new Harness({ only });
    await h.step(ring([dht({ beatAgoMs: 45_000 })]));
    const s = await h.step(ring([dht({ beatAgoMs: 105_000 })]));
    assert.deepEqual(brief(s), [`thread_stalled ${x4} dht +`]);
    assert.match(s[0]!.detail, /reported running but its heartbeat is overdue/);
  });

  void it("clock skew does not matter: the node's own `now` is the reference", async () => {
    const h = new Harness({ only });
    // The node's clock is an hour ahead (or behind) the crawler's; its threads beat on time.
    for (const skewMs of [3_600_000, -3_600_000, 3_600_000]) {
      assert.deepEqual(await h.step(ring([dht({ beatAgoMs: 1000 })], { skewMs })), []);
    }
    // ... and one that is late by its own clock is found even with the skew.
    await h.step(ring([dht({ beatAgoMs: 31_000 })], { skewMs: -3_600_000 }));
    assert.equal(
      activeOf(await h.step(ring([dht({ beatAgoMs: 91_000 })], { skewMs: -3_600_000 }))).length,
      1,
    );
  });

  void it("a 'waiting' thread is idle by design, however old its last beat", async () => {
    const h = new Harness({ only });
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await h.step(ring([dht({ state: 'waiting', beatAgoMs: 3_600_000 })])), []);
  });

  void it('signals per (node, thread): two threads of one node and threads of two nodes are separate', async () => {
    const h = new Harness({ only });
    const specs = (): NodeSpec[] =>
      RING.map((id, i) => ({
        id,
        threads: i < 2 ? [dht({ state: 'stalled' }), { name: 'timers', state: 'stalled' }] : [RUNNING],
      }));
    await h.step(specs());
    const s = await h.step(specs());
    assert.deepEqual(brief(s), [
      `thread_stalled ${RING[0]!.slice(-4)} dht +`,
      `thread_stalled ${RING[0]!.slice(-4)} timers +`,
      `thread_stalled ${x4} dht +`,
      `thread_stalled ${x4} timers +`,
    ]);
  });

  void it('a flagged thread the node no longer reports is cleared', async () => {
    const h = new Harness({ only });
    await h.step(ring([dht({ state: 'stalled' })]));
    await h.step(ring([dht({ state: 'stalled' })]));
    const gone = await h.step(ring([RUNNING]));
    assert.deepEqual(brief(gone), [`thread_stalled ${x4} dht -`]);
    assert.match(gone[0]!.detail, /no longer reported/);
  });

  void it('unreachable in between neither extends nor resets; lostAfterCrawls misses drop the streak', async () => {
    const h = new Harness({ only, config: { lostAfterCrawls: 2 } });
    const stalled = ring([dht({ state: 'stalled' })]);
    await h.step(stalled);
    assert.deepEqual(await h.step(ring([], { state: 'unreachable' })), []);
    const s = await h.step(stalled);
    assert.deepEqual(brief(s), [`thread_stalled ${x4} dht +`]);
    assert.equal(s[0]!.since, T0);
    assert.deepEqual(brief(await h.step(ring([], { state: 'absent' }))), [`thread_stalled ${x4} dht +`]);
    const dropped = await h.step(ring([], { state: 'unreachable' }));
    assert.deepEqual(brief(dropped), [`thread_stalled ${x4} dht -`]);
    assert.match(dropped[0]!.detail, /not reached in 2 consecutive crawls/);
  });

  void it('a duplicated ID: the thread is stalled when stalled in any of its statuses', async () => {
    const h = new Harness({ only, config: { stalled: { crawls: 1 } } });
    const specs: NodeSpec[] = [
      ...ring([dht({})]),
      { id: X, endpoint: endpointOf(X, '/2'), threads: [dht({ state: 'stalled', beatAgoMs: 50_000 })] },
    ];
    const s = await h.step(specs);
    assert.deepEqual(brief(s), [`thread_stalled ${x4} dht +`]);
    assert.equal(s[0]!.value, 50);
  });

  void it('a restart (new detector, same state) continues the streak', async () => {
    const h = new Harness({ only });
    await h.step(ring([dht({ state: 'stalled' })]));
    h.restart();
    const s = await h.step(ring([dht({ state: 'stalled' })]));
    assert.deepEqual([brief(s), s[0]!.since], [[`thread_stalled ${x4} dht +`], T0]);
  });
});
