import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRing } from '../../server/analyze/index.js';
import type { CrawlResult, Visit } from '../../server/core/model.js';
import {
  churnSummary,
  createMemoryStateStore,
  createMemoryTrendSource,
  createPersistentInconsistencyDetector,
  parseDetectorConfig,
} from '../../server/detect/index.js';
import type { Signal } from '../../server/detect/index.js';
import {
  CRAWL_MS,
  Harness,
  T0,
  activeOf,
  all,
  brief,
  clearsOf,
  endpointOf,
  ids,
  makeStatus,
  nodeId,
} from './helpers.js';
import type { NodeSpec } from './helpers.js';

const RING = ids(6);
const X = RING[2]!;
const only = ['persistent_inconsistency' as const];
/** The ring with X in `state` (others ok). */
const ringWith = (state: NodeSpec['state']): NodeSpec[] =>
  RING.map((id) => ({ id, state: id === X ? state : 'ok' }));

void describe('persistent inconsistency: streaks vs churn', () => {
  void it('a stale neighbour (real analysis) keeps a node inconsistent: flagged exactly at the 3rd crawl', async () => {
    const sorted = [...RING].sort();
    const stale = nodeId(0xdead);
    const visitsAt = (at: number): Visit[] =>
      sorted.map((id, i) => {
        const n = sorted.length;
        const nb = (j: number) => ({
          id: sorted[(i + j + n) % n]!,
          endpoint: endpointOf(sorted[(i + j + n) % n]!),
        });
        const status = makeStatus({ id }, at);
        status.ring = { left: [nb(-1), nb(-2)], right: [nb(1), nb(2)] };
        // X still names a node that left the ring as its R1: a stale neighbour.
        if (id === X) status.ring.right[0] = { id: stale, endpoint: endpointOf(stale) };
        return {
          endpoint: status.endpoint,
          expectedId: id,
          startedAt: at,
          durationMs: 3,
          attempts: 1,
          ok: true,
          status,
        };
      });
    const state = createMemoryStateStore();
    const config = parseDetectorConfig({});
    const d = createPersistentInconsistencyDetector();
    const flaggedAt: string[][] = [];
    for (let c = 0; c < 4; c++) {
      const at = T0 + c * CRAWL_MS;
      const visits = visitsAt(at);
      const analysis = analyzeRing(visits);
      assert.equal(analysis.nodes.find((a) => a.nodeId === X)!.state, 'inconsistent');
      const result: CrawlResult = {
        strategy: 'parallel',
        state: 'succeeded',
        startedAt: at,
        finishedAt: at + 10,
        seeds: [],
        visits,
      };
      const signals = await d.run({
        crawlId: c + 1,
        now: at,
        result,
        analysis,
        state,
        trends: createMemoryTrendSource(),
        config,
      });
      flaggedAt.push(activeOf(signals).map((s) => s.nodeId!));
    }
    assert.deepEqual(flaggedAt[0], []);
    assert.deepEqual(flaggedAt[1], []);
    assert.ok(flaggedAt[2]!.includes(X), 'flagged at the 3rd crawl');
    assert.ok(flaggedAt[3]!.includes(X), 'still flagged at the 4th');
  });

  void it('flags at crawl K with since = first crawl of the streak, keeps it, clears it on healing', async () => {
    const h = new Harness({ only });
    assert.deepEqual(await h.step(ringWith('ok')), []);
    assert.deepEqual(await h.step(ringWith('inconsistent')), []);
    assert.deepEqual(await h.step(ringWith('inconsistent')), []);
    const third = await h.step(ringWith('inconsistent'));
    assert.deepEqual(brief(third), [`persistent_inconsistency ${X.slice(-4)} +`]);
    const s = third[0]!;
    assert.deepEqual(
      [s.detector, s.nodeId, s.since, s.value],
      ['persistent_inconsistency', X, T0 + CRAWL_MS, 3],
    );
    assert.match(s.detail, /inconsistent in 3 consecutive crawls/);

    const fourth = await h.step(ringWith('inconsistent'));
    assert.deepEqual(
      [fourth.length, fourth[0]!.active, fourth[0]!.since, fourth[0]!.value],
      [1, true, T0 + CRAWL_MS, 4],
    );

    const healed = await h.step(ringWith('ok'));
    assert.deepEqual(brief(healed), [`persistent_inconsistency ${X.slice(-4)} -`]);
    assert.equal(healed[0]!.since, T0 + CRAWL_MS);
    assert.match(healed[0]!.detail, /consistent again after 4/);
    assert.deepEqual(await h.step(ringWith('ok')), [], 'a clear is reported once');
    assert.equal((await churnSummary(h.state)).total, 0, 'a flagged fault that heals is not churn');
  });

  void it('healing before K is churn: counted per node and in total, never signalled', async () => {
    const h = new Harness({ only });
    const seen: Signal[] = [];
    for (const st of ['inconsistent', 'ok', 'inconsistent', 'inconsistent', 'ok', 'ok'] as const) {
      seen.push(...(await h.step(ringWith(st))));
    }
    assert.deepEqual(seen, []);
    const churn = await churnSummary(h.state);
    assert.equal(churn.total, 2);
    assert.deepEqual([...churn.byNode], [[X, 2]]);

    // A later persistent fault mentions the node's churn history.
    for (let i = 0; i < 2; i++) await h.step(ringWith('inconsistent'));
    const flagged = await h.step(ringWith('inconsistent'));
    assert.match(flagged[0]!.detail, /healed by itself 2 times before \(churn\)/);
  });

  void it('a healthy ring writes no state at all', async () => {
    const h = new Harness({ only });
    for (let i = 0; i < 3; i++) await h.step(all(RING));
    assert.equal(h.data.get('persistent_inconsistency')?.size ?? 0, 0);
  });

  void it('unreachable or absent in between neither extends nor resets the streak', async () => {
    for (const gap of ['unreachable', 'absent'] as const) {
      const h = new Harness({ only });
      assert.deepEqual(await h.step(ringWith('inconsistent')), []);
      assert.deepEqual(await h.step(ringWith(gap)), [], `${gap} does not extend`);
      assert.deepEqual(await h.step(ringWith('inconsistent')), [], `${gap} does not extend`);
      const third = await h.step(ringWith('inconsistent'));
      assert.deepEqual(brief(third), [`persistent_inconsistency ${X.slice(-4)} +`], `${gap} does not reset`);
      assert.equal(third[0]!.since, T0);
      assert.equal(third[0]!.value, 3);
      // A flagged node that is briefly unreachable stays flagged.
      const gapped = await h.step(ringWith(gap));
      assert.deepEqual(brief(gapped), [`persistent_inconsistency ${X.slice(-4)} +`]);
      assert.match(gapped[0]!.detail, /not reached in the last 1/);
    }
  });

  void it('a node gone for lostAfterCrawls crawls has its streak dropped (cleared, not churn)', async () => {
    const h = new Harness({ only, config: { lostAfterCrawls: 2 } });
    for (let i = 0; i < 3; i++) await h.step(ringWith('inconsistent'));
    assert.equal(activeOf(await h.step(ringWith('absent'))).length, 1);
    const dropped = await h.step(ringWith('unreachable'));
    assert.deepEqual(brief(dropped), [`persistent_inconsistency ${X.slice(-4)} -`]);
    assert.match(dropped[0]!.detail, /not reached in 2 consecutive crawls/);
    assert.deepEqual(await h.step(ringWith('inconsistent')), [], 'a new streak starts from 1');
    assert.equal((await churnSummary(h.state)).total, 0);
    assert.equal(h.data.get('persistent_inconsistency')!.size, 1);
  });

  void it('crawls that did not succeed are no evidence: flags are kept, streaks not extended', async () => {
    const h = new Harness({ only });
    await h.step(ringWith('inconsistent'));
    await h.step(ringWith('inconsistent'));
    assert.deepEqual(await h.step(ringWith('inconsistent'), { state: 'aborted' }), []);
    assert.equal(activeOf(await h.step(ringWith('inconsistent'))).length, 1);
    const kept = await h.step(ringWith('ok'), { state: 'failed' });
    assert.deepEqual([kept.length, kept[0]!.active, kept[0]!.value], [1, true, 3]);
  });

  void it('K is configurable (K = 1 flags on the first inconsistent crawl)', async () => {
    const h = new Harness({ only, config: { persistent: { crawls: 1 } } });
    assert.equal(activeOf(await h.step(ringWith('inconsistent'))).length, 1);
  });

  void it('a duplicated ID is inconsistent when any of its nodes is', async () => {
    const h = new Harness({ only, config: { persistent: { crawls: 1 } } });
    const specs: NodeSpec[] = [...all(RING), { id: X, endpoint: endpointOf(X, '/2'), state: 'inconsistent' }];
    assert.deepEqual(brief(await h.step(specs)), [`persistent_inconsistency ${X.slice(-4)} +`]);
  });

  void it('a restart (new detector, same state) continues the streak', async () => {
    const h = new Harness({ only });
    await h.step(ringWith('inconsistent'));
    await h.step(ringWith('inconsistent'));
    h.restart();
    const third = await h.step(ringWith('inconsistent'));
    assert.deepEqual([third.length, third[0]!.since, third[0]!.value], [1, T0, 3]);
    h.restart();
    assert.equal(clearsOf(await h.step(ringWith('ok'))).length, 1);
  });
});
