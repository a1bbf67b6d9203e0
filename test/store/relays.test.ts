/**
 * Relay RTTs as intervals (conn_rtt): written only when a value appears, moves beyond the tolerance or
 * disappears; relaysAt reads any retained crawl (time travel) and ranks the relays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Status } from '../../node-agent/schema.js';
import { crawlOf, openFixture, simRing, tickCounters } from './helpers.js';
import type { SimCrawl, SimRing } from './helpers.js';

function connectionsOf(sim: SimCrawl, id: string): Status['connections'] {
  for (const v of sim.result.visits) if (v.ok && v.status.nodeId === id) return v.status.connections;
  throw new Error(`no status of ${id}`);
}

void test('relay RTTs: an unchanged ring writes nothing, changes beyond the tolerance open intervals', async (t) => {
  const { store, clock, db } = await openFixture(t);
  const ring: SimRing = simRing(8, 2);
  const ids = [...ring.nodes.keys()].sort();
  const node = (i: number) => ring.nodes.get(ids[i]!)!;
  // Pairs that are not ring neighbours, each relayed by a node that is a ring neighbour of both ends.
  const relay = (x: number, y: number, via: number) => {
    node(x).relays.push({ peer: ids[y]!, via: ids[via]! });
    node(y).relays.push({ peer: ids[x]!, via: ids[via]! });
  };
  relay(0, 3, 1);
  relay(4, 7, 5);
  relay(3, 6, 5);
  let relayRtt = 41;
  const rows = async () => (await db.get<{ n: number }>('SELECT count(*) AS n FROM conn_rtt'))!.n;
  const crawl = async () => {
    clock.advance(60_000);
    tickCounters(ring);
    const id = await store.beginCrawl({ strategy: 'parallel' });
    const sim = crawlOf(ring, clock.now());
    for (const c of connectionsOf(sim, ids[0]!)) if (c.kind === 'relay') c.rttMs = relayRtt;
    // ids[7] also has a direct link to ids[4] (12 ms), besides the relayed one.
    const c7 = connectionsOf(sim, ids[7]!);
    if (c7.some((c) => c.peerId === ids[4])) {
      c7.push({ ...c7[0]!, peerId: ids[4]!, kind: 'shortcut', rttMs: 12 });
    }
    return store.transaction(async () => {
      await store.recordCrawl(id, sim.result, sim.analysis);
      return { id, writes: await store.recordRelayRtts(id, sim.result) };
    });
  };

  const c1 = await crawl();
  // 6 relayed connections; legs 0↔1, 1↔3, 4↔5, 5↔7, 3↔5, 5↔6 reported from both sides (12); 7→4 direct.
  assert.deepEqual(c1.writes, { opened: 19, closed: 0, deleted: 0 });
  assert.equal(await rows(), 19);
  const c2 = await crawl();
  assert.deepEqual(c2.writes, { opened: 0, closed: 0, deleted: 0 }, 'unchanged ring: no writes');
  relayRtt = 43; // within 10 %
  const c3 = await crawl();
  assert.deepEqual(c3.writes, { opened: 0, closed: 0, deleted: 0 });
  relayRtt = 60;
  const c4 = await crawl();
  assert.deepEqual(c4.writes, { opened: 1, closed: 1, deleted: 0 });

  const r2 = (await store.relaysAt(c2.id))!;
  assert.equal(r2.crawlId, c2.id);
  assert.deepEqual(
    r2.relays.map((r) => [r.via, r.connections, r.nodes]),
    [
      [ids[5], 2, 4],
      [ids[1], 1, 2],
    ],
  );
  assert.equal(r2.relayedConnections, 3);
  assert.equal(r2.relayedNodes, 5, '0, 3, 4, 6, 7');
  const edge = (r: typeof r2, from: number, to: number) =>
    r.edges.find((e) => e.from === ids[from] && e.to === ids[to])!;
  assert.deepEqual(edge(r2, 0, 3), {
    from: ids[0],
    to: ids[3],
    via: ids[1],
    rttMs: 41,
    directRttMs: null,
    legsRttMs: 40,
  });
  assert.equal(edge(r2, 3, 0).rttMs, 20);
  assert.equal(edge(r2, 4, 7).directRttMs, 12, 'a direct link reported by the other end');
  assert.equal(edge(r2, 7, 4).directRttMs, 12);
  assert.equal(edge((await store.relaysAt(c3.id))!, 0, 3).rttMs, 41, 'the stored value within tolerance');
  const latest = (await store.relaysAt())!;
  assert.equal(latest.crawlId, c4.id);
  assert.equal(edge(latest, 0, 3).rttMs, 60);
  const rank = latest.relays.find((r) => r.via === ids[1])!;
  assert.deepEqual(rank, {
    via: ids[1],
    connections: 1,
    nodes: 2,
    avgRttMs: 40,
    avgLegsRttMs: 40,
    avgDirectRttMs: null,
  });

  // The pair 0↔3 stops relaying: its relay and leg rows close (the legs matter to no other relay).
  node(0).relays.length = 0;
  node(3).relays = node(3).relays.filter((r) => r.peer !== ids[0]);
  const c5 = await crawl();
  assert.deepEqual(c5.writes, { opened: 0, closed: 6, deleted: 0 });
  const r5 = (await store.relaysAt(c5.id))!;
  assert.deepEqual(
    r5.relays.map((r) => r.via),
    [ids[5]],
  );
  assert.equal(edge((await store.relaysAt(c4.id))!, 0, 3).rttMs, 60, 'the past is kept');

  // Closed rows that no retained crawl needs go away on the next write.
  await db.run(`UPDATE crawls SET data = 'pruned' WHERE id <= ?`, [c4.id]);
  const c6 = await crawl();
  assert.equal(c6.writes.deleted, 7, 'closed at c4 (0→3 at 41 ms) and at c5 (the 6 rows of 0↔3)');
  assert.equal(await store.relaysAt(c4.id), null, 'pruned');
  assert.equal(await store.relaysAt(999), null);
  assert.equal((await store.relaysAt(c6.id))!.edges.length, 4);
});
