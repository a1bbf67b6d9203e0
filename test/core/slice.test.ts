/** forEachSliced: a plain loop's effects, with the event loop let in between slices. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachSliced } from '../../server/core/slice.js';

test('visits every item in order and lets queued I/O callbacks run between slices', async () => {
  const marks: (number | string)[] = [];
  setImmediate(() => marks.push('io'));
  await forEachSliced(
    Array.from({ length: 300 }, (_, i) => i),
    (i) => marks.push(i),
    100,
  );
  const io = marks.indexOf('io');
  assert.equal(io, 100, 'the callback queued before the loop ran after the first slice, not after all');
  assert.deepEqual(
    marks.filter((m) => m !== 'io'),
    Array.from({ length: 300 }, (_, i) => i),
  );
});

test('works on any iterable (a Map) and stops at the first throw', async () => {
  const seen: string[] = [];
  const m = new Map(Array.from({ length: 10 }, (_, i) => [`k${i}`, i] as const));
  await assert.rejects(
    forEachSliced(
      m,
      ([k, v]) => {
        if (v === 5) throw new Error('bad item');
        seen.push(k);
      },
      2,
    ),
    /bad item/,
  );
  assert.deepEqual(seen, ['k0', 'k1', 'k2', 'k3', 'k4']);
});
