import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signal } from '../../server/detect/index.js';
import { Harness, T0, CRAWL_MS, activeOf, all, brief, clearsOf, ids } from './helpers.js';
import type { HarnessOptions, NodeSpec } from './helpers.js';

const only = ['node_loss' as const];
const harness = (opts: HarnessOptions = {}) => new Harness({ only, ...opts });
/** `ring` with the nodes of `gone` in `state`. */
function without(
  ring: readonly string[],
  gone: Iterable<string>,
  state: NodeSpec['state'] = 'absent',
): NodeSpec[] {
  const g = new Set(gone);
  return ring.map((id) => (g.has(id) ? { id, state } : { id }));
}
const kinds = (signals: readonly Signal[]) => signals.map((s) => `${s.kind}${s.active ? '+' : '-'}`);

void describe('node loss', () => {
  void it('node_lost after lostAfterCrawls consecutive misses (unreachable or absent), cleared when it returns', async () => {
    const ring = ids(20);
    const x = ring[5]!;
    const h = harness();
    await h.step(all(ring));
    assert.deepEqual(await h.step(without(ring, [x], 'unreachable')), []);
    assert.deepEqual(await h.step(without(ring, [x], 'absent')), []);
    const lost = await h.step(without(ring, [x], 'unreachable'));
    assert.deepEqual(brief(lost), [`node_lost ${x.slice(-4)} +`]);
    assert.deepEqual([lost[0]!.since, lost[0]!.value], [T0 + CRAWL_MS, 3]);
    assert.match(lost[0]!.detail, /unreachable in 3 consecutive crawls/);
    assert.equal(activeOf(await h.step(without(ring, [x]))).length, 1, 'still lost');
    const back = await h.step(all(ring));
    assert.deepEqual(brief(back), [`node_lost ${x.slice(-4)} -`]);
    assert.equal(back[0]!.since, T0 + CRAWL_MS);
    assert.match(back[0]!.detail, /reachable again after 4 crawls/);
    assert.deepEqual(await h.step(all(ring)), []);
  });

  void it('nodes never seen reachable are not lost; a healthy ring writes state once per node', async () => {
    const ring = ids(10);
    const h = harness();
    const stranger = ids(1, 500)[0]!;
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await h.step([...all(ring), { id: stranger, state: 'unreachable' }]), []);
    assert.equal(h.data.get('node_loss')!.size, 10);
    const before = new Map(h.data.get('node_loss'));
    await h.step(all(ring));
    assert.deepEqual(h.data.get('node_loss'), before, 'unchanged ring, unchanged state');
  });

  void it('mass loss of 20 % of 200 nodes: one nonlinear_loss (plus node_lost each); recovery clears everything', async () => {
    const ring = ids(200);
    const gone = ring.filter((_, i) => i % 5 === 0); // 40 nodes spread around the ring
    const h = harness();
    for (let i = 0; i < 3; i++) assert.deepEqual(await h.step(all(ring)), []);
    assert.deepEqual(await h.step(without(ring, gone)), []);
    assert.deepEqual(await h.step(without(ring, gone, 'unreachable')), []);
    const t = h.now;
    const hit = await h.step(without(ring, gone));
    const nl = activeOf(hit, 'nonlinear_loss');
    assert.equal(nl.length, 1);
    assert.deepEqual(
      [nl[0]!.detector, nl[0]!.nodeId, nl[0]!.since, nl[0]!.value],
      ['node_loss', undefined, t, 40],
    );
    assert.match(nl[0]!.detail, /^40 nodes lost within 10\.0 min: 20\.0% of the 200 known/);
    assert.equal(activeOf(hit, 'node_lost').length, 40);
    assert.deepEqual(clearsOf(hit), []);

    const again = await h.step(without(ring, gone));
    assert.deepEqual(
      [activeOf(again, 'nonlinear_loss').length, activeOf(again, 'nonlinear_loss')[0]!.since],
      [1, t],
    );

    const back = await h.step(all(ring));
    assert.equal(clearsOf(back, 'node_lost').length, 40);
    assert.deepEqual(kinds(back.filter((s) => s.kind === 'nonlinear_loss')), ['nonlinear_loss-']);
    assert.equal(back.filter((s) => s.kind === 'nonlinear_loss')[0]!.since, t);
    assert.equal(activeOf(back).length, 0);
    assert.deepEqual(await h.step(all(ring)), []);
  });

  void it('a trickle of restarts below the threshold raises no nonlinear_loss', async () => {
    const ring = ids(200);
    const h = harness();
    const seen: Signal[] = [];
    await h.step(all(ring));
    // Every crawl one node is down for a crawl or two (a restart), and every 3rd crawl one more node
    // goes for good: over 45 crawls 15 nodes are lost (7.5 % of the ring) but never many at once.
    const permanentlyGone: string[] = [];
    let last: Signal[] = [];
    for (let c = 0; c < 45; c++) {
      if (c % 3 === 0) permanentlyGone.push(ring[199 - c / 3]!);
      const restarting = [ring[c % 150]!, ring[(c + 149) % 150]!].slice(0, c % 2 === 0 ? 1 : 2);
      last = await h.step(without(ring, [...permanentlyGone, ...restarting]));
      seen.push(...last);
    }
    assert.deepEqual(
      seen.filter((s) => s.kind === 'nonlinear_loss'),
      [],
    );
    assert.deepEqual(clearsOf(seen), [], 'restarting nodes were never lost');
    assert.equal(permanentlyGone.length, 15);
    assert.deepEqual(new Set(activeOf(last, 'node_lost').map((s) => s.nodeId)), new Set(permanentlyGone));
    assert.equal(activeOf(last).length, 15);
  });

  void it('both thresholds must be exceeded: absolute and percent', async () => {
    const cases: [ring: number, lost: number, fires: boolean][] = [
      [200, 11, true], // > 10 and 5.5 % > 5 %
      [200, 10, false], // not more than 10
      [1000, 15, false], // 1.5 % of the ring
      [50, 8, false], // 16 %, but only 8 nodes
    ];
    for (const [size, lost, fires] of cases) {
      const ring = ids(size);
      const h = harness();
      await h.step(all(ring));
      let raised = 0;
      for (let i = 0; i < 3; i++)
        raised += activeOf(await h.step(without(ring, ring.slice(0, lost))), 'nonlinear_loss').length;
      assert.equal(raised, fires ? 1 : 0, `${lost} of ${size}`);
    }
  });

  void it('the normal restart rate is a threshold too (expectedRestartsPerHour)', async () => {
    const ring = ids(200);
    const h = harness({ config: { loss: { expectedRestartsPerHour: 120 } } }); // 20 per 10 min
    await h.step(all(ring));
    const out: Signal[] = [];
    for (let i = 0; i < 3; i++) out.push(...(await h.step(without(ring, ring.slice(0, 15)))));
    assert.deepEqual(activeOf(out, 'nonlinear_loss'), []);
    assert.equal(activeOf(out, 'node_lost').length, 15);
  });

  void it('nonlinear_loss clears when its losses leave the window, while the nodes stay lost', async () => {
    const ring = ids(100);
    const gone = ring.slice(0, 20);
    const h = harness({ config: { loss: { windowMs: 5 * CRAWL_MS } } });
    await h.step(all(ring));
    const flags: string[] = [];
    for (let c = 0; c < 10; c++) {
      const out = await h.step(without(ring, gone));
      flags.push(
        out
          .filter((s) => s.kind === 'nonlinear_loss')
          .map((s) => (s.active ? '+' : '-'))
          .join(''),
      );
      if (c >= 2) assert.equal(activeOf(out, 'node_lost').length, 20);
    }
    // Confirmed at the 3rd missing crawl; in the window for 5 crawls; cleared once at the 6th.
    assert.deepEqual(flags, ['', '', '+', '+', '+', '+', '+', '-', '', '']);
  });

  void it('losses spread over time count only while in the window', async () => {
    const ring = ids(200);
    const h = harness();
    await h.step(all(ring));
    // 6 nodes now and 6 more 11 minutes later: never more than 10 in one 10-minute window.
    const first = ring.slice(0, 6);
    const second = ring.slice(6, 12);
    const out: Signal[] = [];
    for (let c = 0; c < 11; c++) out.push(...(await h.step(without(ring, first))));
    for (let c = 0; c < 4; c++) out.push(...(await h.step(without(ring, [...first, ...second]))));
    assert.deepEqual(
      out.filter((s) => s.kind === 'nonlinear_loss'),
      [],
    );
    // ... while 12 within the window fire.
    const h2 = harness();
    await h2.step(all(ring));
    const out2: Signal[] = [];
    for (let c = 0; c < 3; c++) out2.push(...(await h2.step(without(ring, first))));
    for (let c = 0; c < 3; c++) out2.push(...(await h2.step(without(ring, [...first, ...second]))));
    assert.equal(activeOf(out2, 'nonlinear_loss').length, 1);
    assert.equal(activeOf(out2, 'nonlinear_loss')[0]!.value, 12);
  });

  void it('crawls that did not succeed count no misses (a crawler cut off is not a ring loss)', async () => {
    const ring = ids(50);
    const h = harness();
    await h.step(all(ring));
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await h.step(without(ring, ring, 'unreachable'), { state: 'failed' }), []);
    }
    // A lost node stays lost through an aborted crawl that did not reach it.
    for (let i = 0; i < 3; i++) await h.step(without(ring, ring.slice(0, 1)));
    const kept = await h.step(without(ring, ring.slice(0, 5)), { state: 'aborted' });
    assert.deepEqual([activeOf(kept, 'node_lost').length, activeOf(kept, 'node_lost')[0]!.value], [1, 3]);
  });

  void it('a node missing for forgetAfterMs is forgotten: cleared and no longer part of the known ring', async () => {
    const ring = ids(10);
    const x = ring[0]!;
    const h = harness({ config: { loss: { forgetAfterMs: 5 * CRAWL_MS } } });
    await h.step(all(ring));
    const out: string[] = [];
    for (let c = 0; c < 7; c++) out.push(...brief(await h.step(without(ring, [x]))));
    assert.deepEqual(out, [
      `node_lost ${x.slice(-4)} +`,
      `node_lost ${x.slice(-4)} +`,
      `node_lost ${x.slice(-4)} +`,
      `node_lost ${x.slice(-4)} -`,
    ]);
    assert.equal(h.data.get('node_loss')!.has(x), false);
    // It comes back: a new node, never lost.
    assert.deepEqual(await h.step(all(ring)), []);
  });

  void it('a restart (new detector, same state) continues miss counts and the loss window', async () => {
    const ring = ids(200);
    const gone = ring.slice(0, 30);
    const h = harness();
    await h.step(all(ring));
    await h.step(without(ring, gone));
    h.restart();
    await h.step(without(ring, gone));
    h.restart();
    const hit = await h.step(without(ring, gone));
    assert.equal(activeOf(hit, 'node_lost').length, 30);
    const nl = activeOf(hit, 'nonlinear_loss')[0]!;
    h.restart();
    const next = activeOf(await h.step(without(ring, gone)), 'nonlinear_loss');
    assert.deepEqual([next.length, next[0]!.since, next[0]!.value], [1, nl.since, 30]);
  });
});
