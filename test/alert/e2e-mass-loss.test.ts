/**
 * End to end: a 2000-node simulated ring crawled over real HTTP by the real pipeline (SQLite, detectors),
 * its crawl_finished events fed to the alert engine. A mass loss of 20 % of the nodes must give exactly
 * one NodeLossNonLinear firing notification, and one resolved notification once the nodes are back.
 *
 * Detector settings (server/detect/loss.ts): a node missing from 2 consecutive crawls is lost; the ring
 * signal needs more than 3 losses AND more than 5 % of the known ring within the window (10 min) — 400
 * nodes lost at once clear both at the 2nd crawl after the fault; when they answer again their losses
 * leave the window at once (returned nodes do not count), so the signal clears at the next crawl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAlertingConfig } from '../../server/alert/config.js';
import { createAlertEngine } from '../../server/alert/engine.js';
import { systemClock } from '../../server/core/clock.js';
import { openPipeline } from '../../server/pipeline/open.js';
import type { PipelineEvent } from '../../server/pipeline/crawl-pipeline.js';
import { startSimulator } from '../../server/sim/run.js';
import { fakeNotifier } from './engine-helpers.js';

const NODES = 2000;

test('mass loss of 20 % of 2000 nodes: NodeLossNonLinear fires once and resolves once', async (t) => {
  const clock = systemClock();
  const sim = await startSimulator({
    nodes: NODES,
    bootstrap: 'converged',
    latencyMs: 5,
    stabilizeMs: 100,
    seed: 21,
  });
  const dir = mkdtempSync(join(tmpdir(), 'rw-alert-e2e-'));
  const observed: Promise<void>[] = [];
  let onEvent: (e: PipelineEvent) => void = () => {};
  const open = await openPipeline(
    {
      db: join(dir, 'ringwatch.db'),
      seeds: sim.seeds,
      // Simulator and crawler share one process: a generous timeout keeps a loaded machine from
      // turning slow answers into timeouts (a live node must never look lost here).
      timeoutMs: 20_000,
      concurrency: 64,
      detectors: { lostAfterCrawls: 2, loss: { absolute: 3, percent: 5 } },
    },
    { clock, emit: (e) => onEvent(e) },
  );
  const notifier = fakeNotifier();
  const engine = createAlertEngine({ db: open.db, clock, notifier, config: parseAlertingConfig({}) });
  onEvent = (e) => {
    observed.push(engine.observe(e));
  };
  t.after(async () => {
    await engine.stop();
    await open.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const crawl = async () => {
    const s = await open.pipeline.run();
    await Promise.all(observed);
    return s;
  };
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.control}${path}`, {
      method,
      ...(body !== undefined
        ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
        : {}),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status}`);
    return res.status === 204 ? null : ((await res.json()) as { fault: { id: string; targetIds: string[] } });
  };

  const healthy = await crawl(); // every node is known (seen reachable) before the loss
  assert.equal(healthy.reachable, NODES);
  assert.deepEqual(notifier.sent, [], 'a healthy ring raises nothing');

  // durationMs is a backstop: the test ends the fault itself (what durationMs does when it runs out)
  // as soon as the alert has fired, so neither a slow machine nor a fast one changes the sequence.
  const injected = await control('POST', '/faults', {
    kind: 'mass-loss',
    fraction: 0.2,
    durationMs: 300_000,
  });
  const fault = injected!.fault;
  assert.equal(fault.targetIds.length, NODES * 0.2);

  const down = await crawl();
  assert.equal(down.errors.refused, NODES * 0.2, JSON.stringify(down.errors));
  assert.equal(down.reachable, NODES * 0.8);
  assert.equal(notifier.of('NodeLossNonLinear').length, 0, 'one missed crawl is not a loss yet');
  const lost = await crawl();
  assert.equal(lost.nonlinearLoss, true);
  assert.equal(lost.lost.length, NODES * 0.2);
  const firing = notifier.of('NodeLossNonLinear', 'firing');
  assert.equal(firing.length, 1);
  assert.equal(firing[0]!.alerts.length, 1);
  const alert = firing[0]!.alerts[0]!;
  assert.deepEqual(alert.labels, { alertname: 'NodeLossNonLinear', severity: 'critical' });
  assert.equal(alert.annotations.summary, `Non-linear node loss: ${NODES * 0.2} nodes lost at once`);
  assert.equal(alert.annotations.dashboard, `#/ring?crawl=${lost.crawlId}`);

  await crawl(); // still down: still firing, nothing new
  assert.equal(notifier.of('NodeLossNonLinear').length, 1);

  await control('DELETE', `/faults/${fault.id}`);
  let s = lost;
  for (let i = 0; i < 20 && s.nonlinearLoss; i++) {
    await new Promise((r) => setTimeout(r, 200));
    s = await crawl();
  }
  assert.equal(s.nonlinearLoss, false, 'the lost nodes came back');
  assert.equal(notifier.of('NodeLossNonLinear', 'firing').length, 1, 'exactly one firing notification');
  const resolved = notifier.of('NodeLossNonLinear', 'resolved');
  assert.equal(resolved.length, 1, 'exactly one resolved notification');
  assert.equal(resolved[0]!.alerts[0]!.fingerprint, alert.fingerprint);
  assert.deepEqual((await engine.list({ state: 'active', rule: 'NodeLossNonLinear', limit: 10 })).items, []);
  const history = await engine.history(alert.fingerprint);
  assert.deepEqual(history.map((e) => e.type).reverse(), [
    'pending',
    'firing',
    'notified',
    'resolved',
    'resolved_notified',
  ]);
});
