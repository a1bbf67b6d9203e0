import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_DETECTOR_CONFIG,
  DETECTOR_NAMES,
  SIGNAL_DETECTOR,
  SIGNAL_KINDS,
  compareSignals,
  createDetectors,
  parseDetectorConfig,
  runDetectors,
  signalKey,
} from '../../server/detect/index.js';
import type { Detector, DetectorConfigInput, Signal } from '../../server/detect/index.js';
import { Harness, MiB, T0, brief, endpointOf, ids, makeCrawl } from './helpers.js';
import type { CrawlOptions, NodeSpec } from './helpers.js';

void describe('detector configuration', () => {
  void it('defaults', () => {
    assert.deepEqual(DEFAULT_DETECTOR_CONFIG, {
      disabled: [],
      lostAfterCrawls: 3,
      persistent: { crawls: 3 },
      stalled: { crawls: 2 },
      loss: {
        windowMs: 600_000,
        absolute: 10,
        percent: 5,
        expectedRestartsPerHour: 1,
        forgetAfterMs: 86_400_000,
      },
      growth: {
        windowMs: 1_800_000,
        minSamples: 5,
        minSpanMs: 600_000,
        rssBytesPerHour: 50 * MiB,
        queuePerHour: 1000,
        minR2: 0.8,
      },
    });
    assert.deepEqual(parseDetectorConfig(), DEFAULT_DETECTOR_CONFIG);
  });

  void it('a partial config keeps the other defaults', () => {
    const c = parseDetectorConfig({
      loss: { percent: 10 },
      growth: { minR2: 0.9 },
      disabled: ['ring_structure'],
    });
    assert.deepEqual(
      [c.loss.percent, c.loss.absolute, c.growth.minR2, c.growth.minSamples],
      [10, 10, 0.9, 5],
    );
    assert.deepEqual(c.disabled, ['ring_structure']);
  });

  void it('rejects unknown keys and bad values', () => {
    const bad: unknown[] = [
      { persistant: { crawls: 3 } },
      { persistent: { crawls: 0 } },
      { persistent: { crawls: 2.5 } },
      { loss: { percent: 101 } },
      { growth: { minR2: 1.5 } },
      { growth: { minSamples: 2 } },
      { disabled: ['nope'] },
      { lostAfterCrawls: -1 },
    ];
    for (const b of bad) assert.throws(() => parseDetectorConfig(b), Error, JSON.stringify(b));
  });
});

void describe('createDetectors / runDetectors', () => {
  void it('creates every detector in DETECTOR_NAMES order, minus the disabled ones', () => {
    assert.deepEqual(
      createDetectors(DEFAULT_DETECTOR_CONFIG).map((d) => d.name),
      [...DETECTOR_NAMES],
    );
    assert.deepEqual(
      createDetectors(parseDetectorConfig({ disabled: ['node_loss', 'thread_stalled'] })).map((d) => d.name),
      ['persistent_inconsistency', 'resource_growth', 'ring_structure'],
    );
  });

  void it('every signal kind belongs to a detector', () => {
    assert.deepEqual(new Set(Object.values(SIGNAL_DETECTOR)), new Set(DETECTOR_NAMES));
    assert.deepEqual(Object.keys(SIGNAL_DETECTOR).sort(), [...SIGNAL_KINDS].sort());
  });

  void it('runs them all and returns one sorted list', async () => {
    const h = new Harness({ config: { persistent: { crawls: 1 }, stalled: { crawls: 1 } } });
    const [a, b, c] = ids(3) as [string, string, string];
    const specs: NodeSpec[] = [
      { id: a, state: 'inconsistent', threads: [{ name: 'dht', state: 'stalled' }] },
      { id: b, ring: 1 },
      { id: c },
      { id: c, endpoint: endpointOf(c, '/twin') },
    ];
    const s = await h.step(specs);
    assert.deepEqual(brief(s), [
      `persistent_inconsistency ${a.slice(-4)} +`,
      `thread_stalled ${a.slice(-4)} dht +`,
      'ring_split +',
      `duplicate_id ${c.slice(-4)} +`,
    ]);
    assert.deepEqual(
      s.map((x) => x.detector),
      ['persistent_inconsistency', 'thread_stalled', 'ring_structure', 'ring_structure'],
    );
  });

  void it('runs detectors one at a time and propagates a failure', async () => {
    let running = 0;
    const order: string[] = [];
    const slow = (name: Detector['name']): Detector => ({
      name,
      async run() {
        running++;
        assert.equal(running, 1);
        await new Promise((r) => setTimeout(r, 2));
        order.push(name);
        running--;
        return [];
      },
    });
    const { result, analysis } = makeCrawl(T0, []);
    const h = new Harness();
    const ctx = { crawlId: 1, now: T0, result, analysis, state: h.state, trends: h.trends, config: h.config };
    await runDetectors(ctx, [slow('node_loss'), slow('ring_structure')]);
    assert.deepEqual(order, ['node_loss', 'ring_structure']);
    const boom: Detector = { name: 'node_loss', run: () => Promise.reject(new Error('boom')) };
    await assert.rejects(runDetectors(ctx, [slow('ring_structure'), boom]), /boom/);
  });

  void it('compareSignals: kind order, node, thread, clears first', () => {
    const s = (kind: Signal['kind'], nodeId?: string, thread?: string, active = true): Signal => ({
      detector: SIGNAL_DETECTOR[kind],
      kind,
      ...(nodeId ? { nodeId } : {}),
      ...(thread ? { thread } : {}),
      active,
      since: 0,
      detail: '',
    });
    const list = [
      s('ring_split'),
      s('node_lost', 'b'),
      s('node_lost', 'a'),
      s('thread_stalled', 'a', 'y'),
      s('thread_stalled', 'a', 'x'),
      s('node_lost', 'a', undefined, false),
    ];
    assert.deepEqual(
      [...list].sort(compareSignals).map((x) => `${signalKey(x)}${x.active ? '+' : '-'}`),
      [
        'thread_stalled a x+',
        'thread_stalled a y+',
        'node_lost a -',
        'node_lost a +',
        'node_lost b +',
        'ring_split  +',
      ],
    );
  });
});

/** Deterministic PRNG (mulberry32) in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A churny random history of a 40-node ring that exercises every detector. */
function scenario(seed: number, crawls: number): { specs: NodeSpec[]; opts: CrawlOptions }[] {
  const r = prng(seed);
  const ring = ids(40);
  const out: { specs: NodeSpec[]; opts: CrawlOptions }[] = [];
  const down = new Map<string, number>();
  for (let c = 0; c < crawls; c++) {
    if (r() < 0.08) for (const id of ring.slice(0, 12)) down.set(id, 4); // a burst of losses
    const specs: NodeSpec[] = [];
    for (const [i, id] of ring.entries()) {
      const d = down.get(id) ?? 0;
      if (d > 0) down.set(id, d - 1);
      const roll = r();
      const state: NodeSpec['state'] =
        d > 0
          ? 'absent'
          : roll < 0.2
            ? 'inconsistent'
            : roll < 0.27
              ? 'unreachable'
              : roll < 0.3
                ? 'absent'
                : 'ok';
      specs.push({
        id,
        state,
        ring: r() < 0.05 ? 1 : 0,
        threads: [
          { name: 'dht', state: r() < 0.3 ? 'stalled' : 'running' },
          { name: 'timers', beatAgoMs: r() < 0.2 ? 60_000 : 0 },
        ],
        rssBytes: Math.round(100 * MiB + (i % 4 === 0 ? c * 3 * MiB : 0) + r() * MiB),
        queueDepth: Math.round(i % 5 === 0 ? c * 100 : r() * 10),
      });
      if (r() < 0.02) specs.push({ id, endpoint: endpointOf(id, '/twin') });
    }
    out.push({ specs, opts: { state: r() < 0.05 ? 'failed' : r() < 0.05 ? 'aborted' : 'succeeded' } });
  }
  return out;
}

const TIGHT: DetectorConfigInput = {
  loss: { absolute: 3, percent: 5, windowMs: 5 * 60_000, forgetAfterMs: 20 * 60_000 },
  growth: { windowMs: 10 * 60_000, minSamples: 4, minSpanMs: 4 * 60_000 },
};

void describe('signal contract over random histories', () => {
  for (const seed of [1, 2, 3]) {
    void it(`seed ${seed}: clears follow actives, since is stable, restarts change nothing`, async () => {
      const steps = scenario(seed, 80);
      const steady = new Harness({ config: TIGHT });
      const restarted = new Harness({ config: TIGHT });
      const open = new Map<string, Signal>();
      const kindsSeen = new Set<string>();
      for (const [c, { specs, opts }] of steps.entries()) {
        const signals = await steady.step(specs, opts);
        if (c % 3 === 1) restarted.restart();
        assert.deepEqual(
          await restarted.step(specs, opts),
          signals,
          `crawl ${c}: a restart changed the outcome`,
        );
        assert.deepEqual([...signals].sort(compareSignals), signals, 'sorted');

        const keys = signals.map(signalKey);
        assert.equal(new Set(keys).size, keys.length, `crawl ${c}: one signal per key`);
        for (const s of signals) {
          kindsSeen.add(`${s.kind}${s.active ? '+' : '-'}`);
          assert.equal(s.detector, SIGNAL_DETECTOR[s.kind]);
          assert.ok(s.detail.length > 0 && s.detail.length < 300, s.detail);
          assert.ok(Number.isFinite(s.since) && s.since <= steady.now - steady.intervalMs);
          if (s.value !== undefined) assert.ok(Number.isFinite(s.value));
          const prev = open.get(signalKey(s));
          if (s.active) {
            if (prev !== undefined) assert.equal(s.since, prev.since, `since of ${signalKey(s)} moved`);
          } else {
            assert.ok(prev !== undefined, `crawl ${c}: clear of ${signalKey(s)} that was not active`);
            assert.equal(s.since, prev.since);
          }
        }
        const now = new Map(signals.filter((s) => s.active).map((s) => [signalKey(s), s]));
        for (const [k] of open) {
          assert.ok(
            now.has(k) || signals.some((s) => !s.active && signalKey(s) === k),
            `crawl ${c}: ${k} vanished without a clear`,
          );
        }
        open.clear();
        for (const [k, s] of now) open.set(k, s);
      }
      // The scenario is rich enough to exercise every kind both ways.
      // Every kind the vocabulary has, so a new kind without a scenario fails here.
      for (const kind of SIGNAL_KINDS) {
        assert.ok(kindsSeen.has(`${kind}+`), `${kind} never raised`);
      }
    });
  }
});
