/** GET /relays over the real pipeline: a simulated ring with NAT'd nodes, crawled over loopback HTTP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayReport } from '../../server/store/index.js';
import { fixture } from '../pipeline/helpers.js';
import { startApi } from './nodes-helpers.js';

void test('relays: edges as recorded, relays ranked by relayed connections, relay vs leg RTTs', async (t) => {
  const f = await fixture(t, { nodes: 40, seed: 31, nat: 0.5 });
  const api = await startApi(t, f.open.store);
  const none = await api.get<{ error: { code: string } }>('/relays');
  assert.equal(none.status, 404, 'no crawl yet');
  const first = await f.crawl();
  const second = await f.crawl();

  const r = await api.get<RelayReport>('/relays');
  assert.equal(r.status, 200);
  const report = r.body;
  assert.equal(report.crawlId, second.crawlId);
  assert.ok(report.edges.length >= 4, `only ${report.edges.length} relayed connections`);

  // The edges are exactly the relay edges of the crawl's topology.
  const topo = (await f.open.store.topologyAt(second.crawlId))!;
  const key = (e: { from: string; to: string; via?: string }) => `${e.from} ${e.to} ${e.via ?? ''}`;
  assert.deepEqual(
    report.edges.map(key),
    topo.edges
      .filter((e) => e.kind === 'relay')
      .map(key)
      .sort(),
  );

  // Ranking: distinct pairs per relay, most first; totals agree with the edges.
  const pairs = new Map<string, Set<string>>();
  for (const e of report.edges) {
    const set = pairs.get(e.via) ?? new Set<string>();
    set.add([e.from, e.to].sort().join(' '));
    pairs.set(e.via, set);
  }
  assert.deepEqual(
    report.relays.map((x) => [x.via, x.connections]),
    [...pairs]
      .map(([via, s]) => [via, s.size] as [string, number])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
  );
  assert.equal(report.relayedConnections, new Set([...pairs.values()].flatMap((s) => [...s])).size);
  for (let i = 1; i < report.relays.length; i++) {
    assert.ok(report.relays[i - 1]!.connections >= report.relays[i]!.connections);
  }

  // RTTs: every relayed connection reports one; the simulator's relay RTT is the sum of its two legs.
  for (const e of report.edges) {
    assert.ok(e.rttMs !== null && e.rttMs > 0, JSON.stringify(e));
    if (e.legsRttMs !== null) assert.ok(Math.abs(e.legsRttMs - e.rttMs) <= 1, JSON.stringify(e));
  }
  assert.ok(
    report.edges.some((e) => e.legsRttMs !== null),
    'legs known for some relays',
  );
  assert.ok(report.relays.every((x) => x.avgRttMs !== null));

  // Time travel, and errors.
  const old = await api.get<RelayReport>(`/relays?crawl=${first.crawlId}`);
  assert.equal(old.status, 200);
  assert.equal(old.body.crawlId, first.crawlId);
  assert.equal((await api.get('/relays?crawl=999999')).status, 404);
  assert.equal((await api.get('/relays?crawl=abc')).status, 400);
  assert.equal((await api.get('/relays?crawl=0')).status, 400);
  assert.equal((await api.get('/relays?via=x')).status, 400);
});
