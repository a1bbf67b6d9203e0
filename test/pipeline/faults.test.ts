/**
 * End to end: simulator faults injected over HTTP, crawled over real HTTP, recorded in real SQLite, and
 * turned into findings and detector signals. Each fault must show up as the finding or error it causes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, sleep } from './helpers.js';

test('stale-neighbor: inconsistent at once, persistent exactly at the 3rd consecutive crawl', async (t) => {
  const f = await fixture(t, { nodes: 30, seed: 11 });
  const clean = await f.crawl();
  assert.equal(clean.reachable, 30);
  assert.equal(clean.consistency, 1);
  const fault = await f.inject({ kind: 'stale-neighbor', node: 4, side: 'right', peer: 17 });
  const node = fault.targetIds[0]!;
  await sleep(300);
  const s1 = await f.crawl();
  assert.ok((s1.findings.wrong_neighbor ?? 0) >= 1, JSON.stringify(s1.findings));
  assert.ok(s1.consistency < 1);
  assert.deepEqual(s1.persistentInconsistent, []);
  const s2 = await f.crawl();
  assert.deepEqual(s2.persistentInconsistent, []);
  const s3 = await f.crawl();
  assert.deepEqual(s3.persistentInconsistent, [node]);
  const latest = await f.open.store.nodeLatest(node);
  assert.equal(latest?.state, 'inconsistent');
});

test('stall-thread, leak, duplicate-id and hostile answers from simulated nodes', async (t) => {
  const f = await fixture(
    t,
    { nodes: 30, seed: 12, threadDeadlineMs: 400 },
    {
      growth: {
        windowMs: 60_000,
        minSpanMs: 1500,
        minSamples: 4,
        rssBytesPerHour: 100 * 1024 * 1024,
        minR2: 0.8,
      },
    },
  );
  await f.crawl();
  const stall = await f.inject({ kind: 'stall-thread', node: 2, thread: 'dht' });
  const leak = await f.inject({ kind: 'leak', node: 3, bytesPerSec: 2_000_000, queuePerSec: 200 });
  const dup = await f.inject({ kind: 'duplicate-id', node: 5, as: 20 });
  await f.inject({ kind: 'garbage', node: 7 });
  await f.inject({ kind: 'hang', node: 8 });
  await f.inject({ kind: 'lie-id', node: 9, as: 21 });
  await sleep(600);
  let last = await f.crawl();
  assert.equal(last.errors.bad_json, 1, JSON.stringify(last.errors));
  assert.equal(last.errors.timeout, 1);
  // The liar and the clone both answer at an endpoint known by another ID, with a live node's ID.
  assert.equal(last.errors.id_mismatch, 2);
  assert.deepEqual(last.duplicateIds, [f.sim.ring.nodeId(20), f.sim.ring.nodeId(21)].sort());
  assert.ok((last.findings.duplicate_id ?? 0) >= 4, JSON.stringify(last.findings));
  assert.equal(dup.targets[0], 5);
  for (let i = 0; i < 5; i++) {
    await sleep(400);
    last = await f.crawl();
  }
  assert.deepEqual(last.stalledThreads, [{ nodeId: stall.targetIds[0], thread: 'dht' }]);
  const growth = last.growth.filter((g) => g.nodeId === leak.targetIds[0]);
  assert.ok(
    growth.some((g) => g.kind === 'memory_growth'),
    JSON.stringify(last.growth),
  );
  assert.ok(
    growth.some((g) => g.kind === 'queue_growth'),
    JSON.stringify(last.growth),
  );
  assert.ok(!last.growth.some((g) => g.nodeId !== leak.targetIds[0]), 'only the leaking node grows');
});

test('mass-loss: 20 % of the ring gone is non-linear loss, and lost nodes are named', async (t) => {
  const f = await fixture(
    t,
    { nodes: 50, seed: 13 },
    { lostAfterCrawls: 2, loss: { absolute: 3, percent: 5 } },
  );
  await f.crawl();
  await f.crawl();
  const fault = await f.inject({ kind: 'mass-loss', fraction: 0.2 });
  const s1 = await f.crawl();
  assert.equal(s1.errors.refused, 10, JSON.stringify(s1.errors));
  assert.ok((s1.findings.dead_neighbor ?? 0) > 0 || (s1.findings.wrong_neighbor ?? 0) > 0);
  const s2 = await f.crawl();
  assert.equal(s2.nonlinearLoss, true);
  assert.deepEqual([...s2.lost].sort(), [...fault.targetIds].sort());
});

test('partition: two rings are found and reported as a split', async (t) => {
  const f = await fixture(t, { nodes: 40, seed: 14 });
  const before = await f.crawl();
  assert.equal(before.rings, 1);
  await f.inject({ kind: 'partition', fraction: 0.5 });
  let s = before;
  // A random half cut off from the other half re-forms into two rings (sometimes more, until probes
  // merge the pieces): a split either way.
  for (let i = 0; i < 60 && s.rings < 2; i++) {
    await sleep(250);
    s = await f.crawl();
  }
  assert.ok(s.rings >= 2, `rings ${s.rings}`);
  assert.equal(s.ringSplit, true);
  assert.ok(s.mainRingSize < 40);
});

test('ring-walk follows R1 pointers one at a time and sees the same ring', async (t) => {
  const f = await fixture(t, { nodes: 25, seed: 15 });
  const walk = await f.open.pipeline.run({ strategy: 'ring-walk' });
  assert.equal(walk.state, 'succeeded');
  assert.equal(walk.reachable, 25);
  assert.equal(walk.rings, 1);
});
