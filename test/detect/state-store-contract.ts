/**
 * The DetectorStateStore contract (server/detect/types.ts) as a reusable suite: any implementation
 * runs it with
 *   runStateStoreContract('sqlite', async () => makeStore(), { reopen: async (s) => reopenStore(s) });
 * `makeStore` must return an empty store each time. `reopen`, when given, must return a store over
 * the same durable data as its argument (a restarted process); persistence is then checked too.
 * Optional `close` releases what makeStore opened.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorStateStore, JsonObject } from '../../server/detect/index.js';
import { DETECTOR_NAMES, RING_KEY } from '../../server/detect/index.js';

export interface StateStoreContractOptions<S extends DetectorStateStore> {
  reopen?: (store: S) => Promise<DetectorStateStore> | DetectorStateStore;
  close?: (store: S) => Promise<void> | void;
}

const A = DETECTOR_NAMES[0];
const B = DETECTOR_NAMES[1];
const ID1 = 'a'.repeat(40);
const ID2 = '0123456789abcdef0123456789abcdef01234567';

export function runStateStoreContract<S extends DetectorStateStore>(
  name: string,
  makeStore: () => Promise<S> | S,
  options: StateStoreContractOptions<S> = {},
): void {
  const withStore = async (fn: (s: S) => Promise<void>): Promise<void> => {
    const s = await makeStore();
    try {
      await fn(s);
    } finally {
      await options.close?.(s);
    }
  };

  void describe(`DetectorStateStore contract: ${name}`, () => {
    void it('a new store is empty: get → undefined, entries → empty Map', () =>
      withStore(async (s) => {
        assert.equal(await s.get(A, ID1), undefined);
        for (const d of DETECTOR_NAMES) {
          const e = await s.entries(d);
          assert.ok(e instanceof Map);
          assert.equal(e.size, 0);
        }
      }));

    void it('set then get returns an equal value; set again overwrites', () =>
      withStore(async (s) => {
        await s.set(A, ID1, { streak: 1, since: 1_700_000_000_000, flagged: false });
        assert.deepEqual(await s.get(A, ID1), { streak: 1, since: 1_700_000_000_000, flagged: false });
        await s.set(A, ID1, { streak: 2 });
        assert.deepEqual(await s.get(A, ID1), { streak: 2 });
      }));

    void it('round-trips every JSON type: nested objects, arrays, null, booleans, floats, big ints, unicode', () =>
      withStore(async (s) => {
        const value: JsonObject = {
          int: Number.MAX_SAFE_INTEGER,
          neg: -42,
          float: 0.1 + 0.2,
          tiny: 5e-324,
          zero: 0,
          t: true,
          f: false,
          nothing: null,
          text: 'thread "dht" — stalled ✓ \u0000 \n',
          list: [1, 'two', null, { three: [3] }],
          nested: { a: { b: { c: [] } }, empty: {} },
          events: Array.from({ length: 200 }, (_, i) => ({ id: ID2, at: 1_700_000_000_000 + i })),
        };
        await s.set(B, ID2, value);
        assert.deepEqual(await s.get(B, ID2), value);
        assert.deepEqual((await s.entries(B)).get(ID2), value);
      }));

    void it('stores JSON: undefined properties vanish', () =>
      withStore(async (s) => {
        await s.set(A, ID1, { keep: 1, drop: undefined } as unknown as JsonObject);
        assert.deepEqual(await s.get(A, ID1), { keep: 1 });
      }));

    void it('returns copies: mutating a value after set or after get does not change what is stored', () =>
      withStore(async (s) => {
        const v = { list: [1], inner: { n: 1 } };
        await s.set(A, ID1, v);
        v.list.push(2);
        v.inner.n = 99;
        const got = (await s.get(A, ID1))!;
        assert.deepEqual(got, { list: [1], inner: { n: 1 } });
        const list = got.list;
        assert.ok(Array.isArray(list));
        list.push(3);
        const e = await s.entries(A);
        (e.get(ID1)!.inner as JsonObject).n = 7;
        e.set('x', { y: 1 });
        assert.deepEqual(await s.get(A, ID1), { list: [1], inner: { n: 1 } });
        assert.equal(await s.get(A, 'x'), undefined);
      }));

    void it('delete removes a key; deleting a missing key is a no-op', () =>
      withStore(async (s) => {
        await s.set(A, ID1, { n: 1 });
        await s.set(A, ID2, { n: 2 });
        await s.delete(A, ID1);
        await s.delete(A, ID1);
        await s.delete(A, 'never-set');
        await s.delete(B, ID2);
        assert.equal(await s.get(A, ID1), undefined);
        assert.deepEqual([...(await s.entries(A))], [[ID2, { n: 2 }]]);
      }));

    void it('namespaces: the same key under two detectors are two entries', () =>
      withStore(async (s) => {
        await s.set(A, ID1, { who: 'a' });
        await s.set(B, ID1, { who: 'b' });
        assert.deepEqual(await s.get(A, ID1), { who: 'a' });
        assert.deepEqual(await s.get(B, ID1), { who: 'b' });
        await s.delete(A, ID1);
        assert.deepEqual(await s.get(B, ID1), { who: 'b' });
        assert.deepEqual([...(await s.entries(B)).keys()], [ID1]);
        assert.equal((await s.entries(A)).size, 0);
      }));

    void it('accepts any key: node IDs, RING_KEY, endpoint URLs, long and odd strings', () =>
      withStore(async (s) => {
        const keys = [ID1, RING_KEY, 'http://10.0.0.1:7946', 'k'.repeat(512), 'spaces and "quotes" ✓', '#12'];
        for (const [i, k] of keys.entries()) await s.set(A, k, { i });
        const e = await s.entries(A);
        assert.deepEqual(new Set(e.keys()), new Set(keys));
        for (const [i, k] of keys.entries()) {
          assert.deepEqual(e.get(k), { i });
          assert.deepEqual(await s.get(A, k), { i });
        }
      }));

    void it('entries holds every key of a namespace (thousands of them)', () =>
      withStore(async (s) => {
        const n = 2000;
        for (let i = 0; i < n; i++) await s.set(A, i.toString(16).padStart(40, '0'), { i });
        const e = await s.entries(A);
        assert.equal(e.size, n);
        for (let i = 0; i < n; i += 97) assert.deepEqual(e.get(i.toString(16).padStart(40, '0')), { i });
      }));

    void it('rejects a value that is not a JSON object', () =>
      withStore(async (s) => {
        for (const bad of [null, 3, 'x', [1]]) {
          await assert.rejects(async () => s.set(A, ID1, bad as unknown as JsonObject));
        }
        assert.equal(await s.get(A, ID1), undefined);
      }));

    if (options.reopen !== undefined) {
      const reopen = options.reopen;
      void it('state survives a reopen (process restart)', () =>
        withStore(async (s) => {
          await s.set(A, ID1, { streak: 2, since: 5 });
          await s.set(A, RING_KEY, { churnTotal: 3 });
          await s.set(B, ID2, { threads: { dht: { streak: 1 } } });
          await s.set(A, ID2, { gone: true });
          await s.delete(A, ID2);
          const r = await reopen(s);
          assert.deepEqual(await r.get(A, ID1), { streak: 2, since: 5 });
          assert.deepEqual(Object.fromEntries(await r.entries(A)), {
            [ID1]: { streak: 2, since: 5 },
            [RING_KEY]: { churnTotal: 3 },
          });
          assert.deepEqual(await r.get(B, ID2), { threads: { dht: { streak: 1 } } });
          assert.equal(await r.get(A, ID2), undefined);
        }));
    }
  });
}
