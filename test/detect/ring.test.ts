import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, T0, CRAWL_MS, all, brief, endpointOf, ids } from './helpers.js';
import type { NodeSpec } from './helpers.js';

const only = ['ring_structure' as const];
const RING = ids(10);
/** The ring split in two: the last `apart` nodes on ring 1. */
const split = (apart: number): NodeSpec[] =>
  RING.map((id, i) => ({ id, ring: i >= RING.length - apart ? 1 : 0 }));

void describe('ring structure', () => {
  void it('a partition (2 rings) → ring_split with the ring sizes; cleared when one ring again', async () => {
    const h = new Harness({ only });
    assert.deepEqual(await h.step(all(RING)), []);
    const s = await h.step(split(3));
    assert.deepEqual(brief(s), ['ring_split +']);
    assert.deepEqual(
      [s[0]!.detector, s[0]!.nodeId, s[0]!.since, s[0]!.value],
      ['ring_structure', undefined, T0 + CRAWL_MS, 2],
    );
    assert.equal(
      s[0]!.detail,
      'the R1 pointers form 2 separate rings: 7 + 3 nodes (main ring 7); the overlay is partitioned',
    );
    const still = await h.step(split(4));
    assert.deepEqual([brief(still), still[0]!.since], [['ring_split +'], T0 + CRAWL_MS]);
    assert.match(still[0]!.detail, /6 \+ 4 nodes/);
    const healed = await h.step(all(RING));
    assert.deepEqual(brief(healed), ['ring_split -']);
    assert.deepEqual(
      [healed[0]!.since, healed[0]!.value, healed[0]!.detail],
      [T0 + CRAWL_MS, 1, 'one ring again'],
    );
    assert.deepEqual(await h.step(all(RING)), []);
  });

  void it('value is the number of rings; many rings are summarised', async () => {
    const h = new Harness({ only });
    const s = await h.step(RING.map((id, i) => ({ id, ring: i % 8 })));
    assert.equal(s[0]!.value, 8);
    assert.match(s[0]!.detail, /form 8 separate rings: 2 \+ 2 \+ 1 \+ 1 \+ 1 \+ 1 \+ 2 more nodes/);
  });

  void it('a duplicated ID → duplicate_id per ID (value = nodes answering), cleared when it is gone', async () => {
    const h = new Harness({ only });
    const [a, b] = [RING[2]!, RING[7]!];
    const dup = (ids: string[]): NodeSpec[] => [
      ...all(RING),
      ...ids.map((id) => ({ id, endpoint: endpointOf(id, '/twin') })),
    ];
    const one = await h.step(dup([a]));
    assert.deepEqual(brief(one), [`duplicate_id ${a.slice(-4)} +`]);
    assert.equal(one[0]!.value, 2);
    assert.match(
      one[0]!.detail,
      /^2 distinct nodes answer with this ID \(http:\/\/10\.0\.0\.1:7946\/n\/0+3, .*\/twin\)$/,
    );
    const two = await h.step(dup([a, b]));
    assert.deepEqual(brief(two), [`duplicate_id ${a.slice(-4)} +`, `duplicate_id ${b.slice(-4)} +`]);
    assert.deepEqual(
      two.map((s) => s.since),
      [T0, T0 + CRAWL_MS],
    );
    const gone = await h.step(dup([b]));
    assert.deepEqual(brief(gone), [`duplicate_id ${a.slice(-4)} -`, `duplicate_id ${b.slice(-4)} +`]);
    assert.deepEqual(
      [gone[0]!.value, gone[0]!.detail],
      [1, 'no longer duplicated: 1 node answers with this ID'],
    );
    assert.deepEqual(brief(await h.step(all(RING))), [`duplicate_id ${b.slice(-4)} -`]);
    assert.equal(h.data.get('ring_structure')!.size, 0);
  });

  void it('a crawl that did not succeed keeps the last verdict', async () => {
    const h = new Harness({ only });
    await h.step(split(3));
    const kept = await h.step([], { state: 'failed' });
    assert.deepEqual([brief(kept), kept[0]!.value, kept[0]!.since], [['ring_split +'], 2, T0]);
    assert.match(kept[0]!.detail, /7 \+ 3 nodes.*\(last verdict: this crawl did not succeed\)$/);
    assert.deepEqual(brief(await h.step(all(RING))), ['ring_split -']);
  });

  void it('an empty successful crawl (no ring at all) clears a split', async () => {
    const h = new Harness({ only });
    await h.step(split(3));
    const s = await h.step(RING.map((id) => ({ id, state: 'unreachable' })));
    assert.deepEqual(
      [brief(s), s[0]!.value, s[0]!.detail],
      [['ring_split -'], 0, 'no ring found in this crawl'],
    );
  });

  void it('a restart (new detector, same state) keeps since and clears correctly', async () => {
    const h = new Harness({ only });
    await h.step(split(3));
    h.restart();
    assert.equal((await h.step(split(3)))[0]!.since, T0);
    h.restart();
    assert.deepEqual(brief(await h.step(all(RING))), ['ring_split -']);
  });
});
