// Engine building blocks: seeded PRNG, ID arithmetic, the event queue and the latency model.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { manualClock } from '../../server/core/clock.js';
import { createEventQueue } from '../../server/sim/engine/event-queue.js';
import { addKey, cw, idHex, idKey, KEY_SPACE, parseIdHex, randomId } from '../../server/sim/engine/ids.js';
import { createLatencyModel, loadRttMatrix, parseRttMatrix } from '../../server/sim/engine/latency.js';
import { createPrng, hash32 } from '../../server/sim/engine/prng.js';
import { createNodeTables } from '../../server/sim/engine/tables.js';

const MATRIX = fileURLToPath(new URL('../../../shared/data/latency/rtt_matrix.txt', import.meta.url));

describe('prng', () => {
  it('reproduces a stream from its seed and differs across seeds', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const c = createPrng(43);
    const xs = Array.from({ length: 100 }, () => a.next());
    assert.deepEqual(
      xs,
      Array.from({ length: 100 }, () => b.next()),
    );
    assert.notDeepEqual(
      xs,
      Array.from({ length: 100 }, () => c.next()),
    );
    assert.ok(
      xs.every((x) => x >= 0 && x < 1),
      'xs.every((x) => x >= 0 && x < 1)',
    );
    assert.equal(hash32(1, 2, 3), hash32(1, 2, 3));
    assert.notEqual(hash32(1, 2, 3), hash32(1, 2, 4));
  });

  it('is roughly uniform and exp() has the requested mean', () => {
    const r = createPrng(7);
    const buckets = new Array<number>(10).fill(0);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      buckets[Math.floor(r.next() * 10)]!++;
      sum += r.exp(5);
    }
    for (const b of buckets) assert.ok(b > 1700 && b < 2300, `bucket ${b}`);
    assert.ok(Math.abs(sum / 20000 - 5) < 0.25, 'Math.abs(sum / 20000 - 5) < 0.25');
  });
});

describe('ids', () => {
  it('formats 160-bit IDs as 40 lowercase hex chars and parses them back', () => {
    const r = createPrng(1);
    for (let i = 0; i < 50; i++) {
      const id = randomId(r);
      const hex = idHex(id);
      assert.match(hex, /^[0-9a-f]{40}$/);
      assert.equal(parseIdHex(hex), id);
    }
    assert.equal(parseIdHex('xyz'), undefined);
  });

  it('keeps ring order in keys and computes clockwise distances exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }),
        (a, b) => {
          const ka = idKey(a);
          const kb = idKey(b);
          if (a < b) assert.ok(ka <= kb, 'ka <= kb');
          const d = cw(ka, kb);
          assert.ok(
            d >= 0 && d < KEY_SPACE && Number.isInteger(d),
            'd >= 0 && d < KEY_SPACE && Number.isInteger(d)',
          );
          assert.equal(addKey(ka, d), kb);
          assert.equal(cw(ka, kb) + cw(kb, ka), ka === kb ? 0 : KEY_SPACE);
        },
      ),
    );
  });
});

describe('event queue', () => {
  it('runs events in time then insertion order, with a single pending clock timer', () => {
    const clock = manualClock(0);
    const seen: string[] = [];
    const q = createEventQueue({ clock, handler: (kind, a) => void seen.push(`${kind}:${a}`) });
    q.start();
    q.push(30, 1, 3, 0, 0, 0);
    q.push(10, 1, 1, 0, 0, 0);
    q.push(10, 2, 2, 0, 0, 0);
    q.push(20.2, 1, 4, 0, 0, 0); // rounded up to 21
    const lane = q.lane(15);
    q.pushLane(lane, 5, 9, 0, 0, 0); // at 15
    assert.equal(clock.pending(), 1);
    clock.advance(20);
    assert.deepEqual(seen, ['1:1', '2:2', '5:9']);
    clock.advance(100);
    assert.deepEqual(seen, ['1:1', '2:2', '5:9', '1:4', '1:3']);
    assert.equal(q.pending(), 0);
    assert.equal(clock.pending(), 0);
  });

  it('stays ordered under random pushes, including pushes from handlers', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 200 }), (times) => {
        const clock = manualClock(0);
        const ran: number[] = [];
        const q = createEventQueue({
          clock,
          handler: (kind, a) => {
            ran.push(clock.now());
            if (kind === 1) q.push(clock.now() + a, 2, 0, 0, 0, 0);
          },
        });
        q.start();
        times.forEach((t) => q.push(t, 1, t % 7, 0, 0, 0));
        clock.advance(2000);
        assert.equal(ran.length, 2 * times.length);
        for (let i = 1; i < ran.length; i++) assert.ok(ran[i]! >= ran[i - 1]!, 'ran[i]! >= ran[i - 1]!');
        assert.equal(clock.pending(), 0);
      }),
    );
  });

  it('never runs before start() or after stop()', () => {
    const clock = manualClock(0);
    let n = 0;
    const q = createEventQueue({ clock, handler: () => void n++ });
    q.push(5, 1, 0, 0, 0, 0);
    clock.advance(10);
    assert.equal(n, 0);
    q.start();
    clock.advance(0);
    assert.equal(n, 1);
    q.push(20, 1, 0, 0, 0, 0);
    q.stop();
    clock.advance(100);
    assert.equal(n, 1);
  });
});

describe('latency model', () => {
  it('constant RTT, symmetric, one-way = RTT/2', () => {
    const m = createLatencyModel({ latencyMs: 80 });
    assert.equal(m.source, 'constant');
    assert.equal(m.rttMs(1, 2), 80);
    assert.equal(m.rttMs(2, 1), 80);
    assert.equal(m.oneWayMs(3, 9), 40);
    assert.equal(m.rttMs(4, 4), 0);
    const j = createLatencyModel({ latencyMs: 80, jitter: 0.1, seed: 3 });
    const v = j.rttMs(1, 2);
    assert.ok(v >= 72 && v <= 88 && v !== 80, 'v >= 72 && v <= 88 && v !== 80');
    assert.equal(v, j.rttMs(2, 1));
  });

  it('parses a matrix fast, fills unknown entries, rejects non-square input', () => {
    const m = parseRttMatrix('0 1000 -1\n1000 0 3000\n2000 3000 0\n');
    assert.equal(m.size, 3);
    assert.equal(m.us[2], 2000); // unknown (0,2) takes the symmetric (2,0)
    assert.throws(() => parseRttMatrix('1 2 3'), /not a square/);
    assert.throws(() => parseRttMatrix('1 x'), /unexpected byte/);
  });

  it(
    'maps nodes onto the real PlanetLab matrix with small per-link jitter',
    { skip: !existsSync(MATRIX) },
    () => {
      const t0 = performance.now();
      const matrix = loadRttMatrix(MATRIX);
      const parseMs = performance.now() - t0;
      assert.equal(matrix.size, 490);
      console.log(`# parsed 490x490 RTT matrix in ${parseMs.toFixed(1)} ms`);
      const m = createLatencyModel({ matrix, seed: 5 });
      assert.equal(m.source, 'matrix');
      // distinct hosts for the first 490 nodes, reuse beyond
      const hosts = new Set(Array.from({ length: 490 }, (_, i) => m.hostOf(i)));
      assert.equal(hosts.size, 490);
      assert.equal(m.hostOf(490), m.hostOf(0));
      // every RTT is the matrix entry of the two hosts within ±5 % (or the same-host constant)
      const rtts: number[] = [];
      for (let a = 0; a < 200; a++) {
        for (let b = a + 1; b < 200; b += 7) {
          const base = matrix.us[m.hostOf(a) * 490 + m.hostOf(b)]! / 1000;
          const v = m.rttMs(a, b);
          assert.equal(v, m.rttMs(b, a));
          assert.ok(Math.abs(v - base) <= base * 0.05 + 1e-9, `${v} vs ${base}`);
          rtts.push(v);
        }
      }
      rtts.sort((x, y) => x - y);
      const median = rtts[rtts.length >> 1]!;
      assert.ok(median > 100 && median < 170, `median ${median}`);
      assert.ok(m.crawlerRttMs(3) > 0, 'm.crawlerRttMs(3) > 0');
      // a node mapped on the same host as another (N > 490) talks over the same-host RTT
      assert.ok(m.rttMs(0, 490) < 1, 'm.rttMs(0, 490) < 1');
    },
  );
});

describe('connection pool', () => {
  it('compaction keeps every list (order and fields) and makes each node’s records contiguous', () => {
    const rng = createPrng(9);
    const n = 300;
    const t = createNodeTables(
      n,
      3,
      Array.from({ length: n }, () => randomId(rng)),
      0,
      64,
    );
    const lists = (): number[][][] =>
      Array.from({ length: n }, (_, x) => {
        const out: number[][] = [];
        for (let r = t.head[x]!; r >= 0; r = t.cNext[r]!)
          out.push([t.cPeer[r]!, t.cSince[r]!, t.cFlags[r]!, t.cVia[r]!]);
        return out;
      });
    for (let i = 0; i < 5000; i++) {
      const x = rng.int(n);
      if (rng.next() < 0.7) {
        const r = t.allocConn(x, rng.int(n));
        t.cSince[r] = i;
        t.cFlags[r] = i & 0xff;
        t.cVia[r] = i % 7;
      } else if (t.head[x]! >= 0) t.freeConn(x, t.head[x]!, -1);
    }
    const before = lists();
    const conns = t.conns;
    t.compact();
    assert.deepEqual(lists(), before);
    assert.equal(t.conns, conns);
    let expect = 0;
    for (let x = 0; x < n; x++) {
      for (let r = t.head[x]!; r >= 0; r = t.cNext[r]!)
        assert.equal(r, expect++, 'records contiguous in node order');
    }
    // the pool still allocates and frees correctly afterwards
    const r = t.allocConn(5, 6);
    assert.equal(t.findConn(5, 6), r);
    assert.equal(t.conns, conns + 1);
  });
});
