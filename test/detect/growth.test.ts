import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryTrendSource, fitTrend, trendStatsFromSamples } from '../../server/detect/index.js';
import type { Signal, TrendSample } from '../../server/detect/index.js';
import { Harness, T0, MiB, activeOf, brief, clearsOf, ids } from './helpers.js';
import type { NodeSpec } from './helpers.js';

const HOUR = 3_600_000;
const INTERVAL = 2 * 60_000;
const only = ['resource_growth' as const];

/** Deterministic uniform noise in [-1, 1) (mulberry32). */
function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Two-pass least squares, the textbook way, as the reference. */
function reference(samples: readonly TrendSample[], key: 'rssBytes' | 'queueDepth') {
  const n = samples.length;
  const ts = samples.map((s) => s.at / HOUR);
  const xs = samples.map((s) => s[key]);
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  let stt = 0;
  let stx = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    stt += (ts[i]! - mt) ** 2;
    stx += (ts[i]! - mt) * (xs[i]! - mx);
    sxx += (xs[i]! - mx) ** 2;
  }
  return { slope: stx / stt, r2: sxx === 0 ? 0 : (stx * stx) / (stt * sxx) };
}

void describe('trend statistics', () => {
  void it('a straight line: exact slope per hour and R² = 1, whatever the origin', () => {
    const samples = Array.from({ length: 10 }, (_, i) => ({
      at: T0 + i * INTERVAL,
      rssBytes: 300 * MiB + 50 * MiB * ((i * INTERVAL) / HOUR),
      queueDepth: 7,
    }));
    for (const origin of [undefined, T0 - HOUR, T0 - 24 * HOUR]) {
      const stats = trendStatsFromSamples(samples, origin)!;
      assert.deepEqual([stats.n, stats.firstT, stats.lastT], [10, T0, T0 + 9 * INTERVAL]);
      const rss = fitTrend(stats, 'rss')!;
      assert.ok(Math.abs(rss.slopePerHour - 50 * MiB) < 1, `origin ${origin}`);
      assert.ok(rss.r2 > 0.999999);
      assert.deepEqual([rss.n, rss.spanMs], [10, 9 * INTERVAL]);
      const q = fitTrend(stats, 'queue')!;
      assert.deepEqual([q.slopePerHour, q.r2], [0, 0], 'a constant series has no trend');
    }
  });

  void it('matches a two-pass reference on noisy data with epoch times and GiB-sized values', () => {
    const r = noise(7);
    const samples: TrendSample[] = Array.from({ length: 30 }, (_, i) => ({
      at: T0 + i * 60_000 + Math.round(r() * 5000),
      rssBytes: Math.round(4096 * MiB + 20 * MiB * r() + i * MiB),
      queueDepth: Math.round(5000 + 300 * r()),
    }));
    const stats = trendStatsFromSamples(samples, T0)!;
    for (const [series, key] of [
      ['rss', 'rssBytes'],
      ['queue', 'queueDepth'],
    ] as const) {
      const fit = fitTrend(stats, series)!;
      const ref = reference(samples, key);
      assert.ok(Math.abs(fit.slopePerHour - ref.slope) <= Math.abs(ref.slope) * 1e-6 + 1e-6, series);
      assert.ok(Math.abs(fit.r2 - ref.r2) < 1e-6, series);
    }
  });

  void it('no samples → undefined; one sample or one instant → no fit', () => {
    assert.equal(trendStatsFromSamples([]), undefined);
    const one = trendStatsFromSamples([{ at: T0, rssBytes: 1, queueDepth: 1 }])!;
    assert.equal(fitTrend(one, 'rss'), null);
    const instant = trendStatsFromSamples([
      { at: T0, rssBytes: 1, queueDepth: 1 },
      { at: T0, rssBytes: 5, queueDepth: 1 },
    ])!;
    assert.equal(fitTrend(instant, 'rss'), null);
  });

  void it('the memory TrendSource keeps per-node samples and windows them by time', async () => {
    const src = createMemoryTrendSource();
    for (let i = 0; i < 5; i++) src.add('a', { at: T0 + i * 1000, rssBytes: i, queueDepth: 0 });
    src.add('b', { at: T0, rssBytes: 1, queueDepth: 1 });
    const all = await src.trends(T0);
    assert.deepEqual([all.get('a')!.n, all.get('b')!.n], [5, 1]);
    const late = await src.trends(T0 + 2500);
    assert.deepEqual([...late.keys()], ['a']);
    assert.deepEqual([late.get('a')!.n, late.get('a')!.firstT], [2, T0 + 3000]);
  });
});

/** Runs `crawls` crawls in which node X's rss and queue follow `f(hoursSinceStart)`. */
async function series(
  h: Harness,
  crawls: number,
  f: (hours: number, i: number) => { rss: number; queue: number },
  others: NodeSpec[] = [],
): Promise<Signal[][]> {
  const out: Signal[][] = [];
  for (let i = 0; i < crawls; i++) {
    const { rss, queue } = f((h.now - T0) / HOUR, i);
    out.push(
      await h.step([
        { id: X, rssBytes: Math.max(0, Math.round(rss)), queueDepth: Math.max(0, Math.round(queue)) },
        ...others,
      ]),
    );
  }
  return out;
}

const [X, Y] = ids(2) as [string, string];
const x4 = X.slice(-4);

void describe('memory growth and queue growth', () => {
  void it('a leak (RSS rising steadily, queue flat) → memory_growth once enough samples span the window', async () => {
    const h = new Harness({ only, intervalMs: INTERVAL });
    const r = noise(1);
    const out = await series(
      h,
      12,
      (t) => ({ rss: 200 * MiB + 100 * MiB * t + 2 * MiB * r(), queue: 20 + 5 * r() }),
      [{ id: Y }],
    );
    // minSpanMs 10 min at 2-min crawls: the 6th crawl (index 5) is the first with a verdict.
    assert.deepEqual(out.slice(0, 5).flat(), []);
    for (const signals of out.slice(5)) assert.deepEqual(brief(signals), [`memory_growth ${x4} +`]);
    const s = out[11]![0]!;
    assert.equal(s.since, T0 + 5 * INTERVAL);
    assert.ok(Math.abs(s.value! / MiB - 100) < 10, `slope ${s.value! / MiB} MiB/h`);
    assert.match(
      s.detail,
      /^RSS rising \d+\.\d MiB\/h over 22\.0 min \(R² (0\.9\d|1\.00), 12 samples\) with a flat message queue: looks like a memory leak$/,
    );

    // The leak stops (restart into a steady state): cleared once the window no longer shows growth.
    const flat = await series(h, 20, () => ({ rss: 250 * MiB + 2 * MiB * r(), queue: 20 }));
    const marks = flat.map((s) => s.map((x) => (x.active ? '+' : '-')).join(''));
    const clearAt = marks.indexOf('-');
    assert.ok(clearAt > 0, marks.join(' '));
    assert.ok(marks.slice(0, clearAt).every((m) => m === '+'));
    assert.ok(
      marks.slice(clearAt + 1).every((m) => m === ''),
      marks.join(' '),
    );
    assert.equal(clearsOf(flat.flat())[0]!.since, T0 + 5 * INTERVAL);
    assert.match(clearsOf(flat.flat())[0]!.detail, /^no longer growing/);
  });

  void it('I/O starvation: the queue grows (and RSS with it) → queue_growth, and memory_growth says it is not a leak', async () => {
    const h = new Harness({ only, intervalMs: INTERVAL });
    const r = noise(2);
    const out = await series(h, 16, (t) => ({
      rss: 300 * MiB + 80 * MiB * t + MiB * r(),
      queue: 100 + 4000 * t + 50 * r(),
    }));
    const last = out[15]!;
    assert.deepEqual(brief(last), [`memory_growth ${x4} +`, `queue_growth ${x4} +`]);
    assert.match(last[0]!.detail, /the message queue grows too \(\d+\/h\): I\/O starvation, not a leak/);
    assert.match(
      last[1]!.detail,
      /^message queue growing \d+ messages\/h .*: I\/O starvation, the host cannot keep up \(and RSS grows with it\)$/,
    );
    assert.ok(Math.abs(last[1]!.value! - 4000) < 200);
  });

  void it('a growing queue alone → queue_growth only', async () => {
    const h = new Harness({ only, intervalMs: INTERVAL });
    const out = await series(h, 10, (t) => ({ rss: 300 * MiB, queue: 2000 * t }));
    assert.deepEqual(brief(out[9]!), [`queue_growth ${x4} +`]);
    assert.doesNotMatch(out[9]![0]!.detail, /RSS/);
  });

  void it('noisy flat series, noisy slight rises and a single step raise nothing', async () => {
    const cases: [string, (t: number, i: number) => { rss: number; queue: number }][] = [
      ['noisy flat', (_t, _i) => ({ rss: 500 * MiB + 40 * MiB * r1(), queue: 100 + 80 * r1() })],
      [
        'rise buried in noise (low R²)',
        (t) => ({ rss: 500 * MiB + 60 * MiB * t + 200 * MiB * r1(), queue: 100 + 1500 * t + 2000 * r1() }),
      ],
      ['steady but slow', (t) => ({ rss: 500 * MiB + 20 * MiB * t, queue: 500 * t })],
      [
        'one step up (a bigger heap after a restart)',
        (_t, i) => ({ rss: (i % 30 < 15 ? 200 : 300) * MiB, queue: i % 30 < 15 ? 0 : 800 }),
      ],
    ];
    const r1 = noise(3);
    for (const [name, f] of cases) {
      const h = new Harness({ only, intervalMs: INTERVAL });
      const out = (await series(h, 45, f)).flat();
      assert.deepEqual(brief(out), [], name);
    }
  });

  void it('too few samples (sparse crawls) → no verdict', async () => {
    const h = new Harness({ only, intervalMs: 10 * 60_000 });
    const out = await series(h, 10, (t) => ({ rss: 1000 * MiB * t, queue: 10_000 * t }));
    assert.deepEqual(out.flat(), []);
  });

  void it('a flagged node that disappears is cleared once its window has too few samples', async () => {
    const h = new Harness({ only, intervalMs: INTERVAL });
    await series(h, 8, (t) => ({ rss: 100 * MiB + 200 * MiB * t, queue: 0 }), [{ id: Y }]);
    const marks: string[] = [];
    for (let i = 0; i < 20; i++) marks.push(brief(await h.step([{ id: Y }])).join());
    const cleared = marks.filter((m) => m !== '' && m.endsWith('-'));
    assert.deepEqual(cleared, [`memory_growth ${x4} -`]);
    assert.equal(marks.at(-1), '');
  });

  void it('a restart (new detector, same state) keeps since', async () => {
    const h = new Harness({ only, intervalMs: INTERVAL });
    const out = await series(h, 8, (t) => ({ rss: 100 * MiB + 200 * MiB * t, queue: 0 }));
    const since = activeOf(out[7]!)[0]!.since;
    h.restart();
    const next = await series(h, 1, (t) => ({ rss: 100 * MiB + 200 * MiB * t, queue: 0 }));
    assert.equal(activeOf(next[0]!)[0]!.since, since);
  });
});
