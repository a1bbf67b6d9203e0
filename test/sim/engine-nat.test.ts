// NAT'd pairs connect only through a two-hop relay chosen from the overlap of their connections; a dead
// relay is replaced; the relay's traffic counters include what it forwards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../../server/core/clock.js';
import { createSimRing } from '../../server/sim/engine/index.js';
import type { NodeSnapshot, SimRing } from '../../server/sim/engine/index.js';
import { advanceUntil, checkConsistency, createRecordingHooks } from '../../server/sim/engine/testing.js';

interface RelayPair {
  x: number;
  y: number;
  z: number;
}

function relayPairs(ring: SimRing, snaps: NodeSnapshot[]): RelayPair[] {
  const out: RelayPair[] = [];
  for (const s of snaps) {
    if (!s.alive) continue;
    for (const c of s.connections) {
      if (c.kind === 'relay' && s.index < c.peer) out.push({ x: s.index, y: c.peer, z: c.viaIndex! });
    }
  }
  return out;
}

async function natRing(selection: 'latency' | 'age', seed: number) {
  const clock = manualClock();
  const ring = createSimRing(
    {
      nodes: 150,
      seed,
      natFraction: 0.4,
      relaySelection: selection,
      latencyMatrix: undefined,
      latencyMs: 60,
      latencyJitter: 0.6,
    },
    { clock, hooks: createRecordingHooks() },
  );
  ring.start();
  const p = ring.ready();
  const waited = advanceUntil(clock, () => ring.isReady(), 500, 120_000);
  assert.ok(waited >= 0, 'never ready');
  await p;
  assert.ok(
    advanceUntil(clock, () => checkConsistency(ring).inconsistent.length === 0, 1000, 30_000) >= 0,
    'NAT ring did not converge',
  );
  clock.advance(10_000);
  return { clock, ring };
}

describe('NAT and relays', () => {
  it('relays appear for NAT’d pairs with via in the overlap, the rtt of both legs, on both ends', async () => {
    const { ring } = await natRing('latency', 8);
    const snaps = Array.from({ length: ring.size }, (_, i) => ring.snapshot(i));
    const pairs = relayPairs(ring, snaps);
    assert.ok(pairs.length >= 10, `only ${pairs.length} relayed connections`);
    const direct = (i: number) =>
      new Set(snaps[i]!.connections.filter((c) => c.kind !== 'relay').map((c) => c.peer));
    // A relay is chosen from the overlap; afterwards a leg can close or one end drop its side, and the
    // other end notices at its next keep-alive (a transient half-open tunnel, as in a real overlay).
    let stale = 0;
    for (const { x, y, z } of pairs) {
      assert.ok(snaps[x]!.nat && snaps[y]!.nat, `relay between ${x} and ${y} that are not both NAT'd`);
      const cx = snaps[x]!.connections.find((c) => c.peer === y)!;
      assert.equal(cx.via, ring.nodeId(z));
      const expected = ring.latency.rttMs(x, z) + ring.latency.rttMs(z, y);
      assert.ok(Math.abs(cx.rttMs - expected) < 1e-9, `rtt ${cx.rttMs} vs ${expected}`);
      const cy = snaps[y]!.connections.find((c) => c.peer === x);
      if (!direct(x).has(z) || !direct(y).has(z) || cy?.via !== cx.via) stale++;
    }
    console.log(
      `# ${stale} of ${pairs.length} relayed connections half-open or with a closed leg at this instant`,
    );
    assert.ok(stale <= pairs.length * 0.05, `${stale} of ${pairs.length} relays not through the overlap`);
    // two NAT'd nodes never hold a direct connection
    for (const s of snaps) {
      for (const c of s.connections) {
        if (c.kind !== 'relay')
          assert.ok(!(s.nat && snaps[c.peer]!.nat), `direct NAT-NAT ${s.index}-${c.peer}`);
      }
    }
    // relay nodes account the connections they carry
    const perZ = new Map<number, number>();
    for (const p of pairs) perZ.set(p.z, (perZ.get(p.z) ?? 0) + 1);
    for (const [z, n] of perZ) assert.equal(snaps[z]!.relaying, n, `relay ${z} carries ${n}`);
    const z0 = pairs[0]!.z;
    const quiet = snaps.find(
      (s) => !perZ.has(s.index) && s.connections.length === snaps[z0]!.connections.length,
    );
    console.log(
      `# ${pairs.length} relayed connections over ${perZ.size} relays; relay ${z0} sent ${snaps[z0]!.traffic.bytesOut} B` +
        (quiet ? ` vs ${quiet.traffic.bytesOut} B for a non-relay with as many connections` : ''),
    );
    ring.stop();
  });

  it('a dead relay is replaced by another one from the overlap', async () => {
    const { clock, ring } = await natRing('latency', 9);
    const snaps = Array.from({ length: ring.size }, (_, i) => ring.snapshot(i));
    // a relayed pair of near neighbours (they keep needing each other)
    const pair = relayPairs(ring, snaps).find(({ x, y }) =>
      [...snaps[x]!.ring.left, ...snaps[x]!.ring.right].some((p) => p.index === y),
    );
    assert.ok(pair, 'no relayed near pair');
    const { x, y, z } = pair;
    assert.ok(ring.injectFault({ kind: 'kill', node: z }).ok, 'kill relay');
    const moved = advanceUntil(
      clock,
      () => {
        const c = ring.snapshot(x).connections.find((k) => k.peer === y);
        return c !== undefined && c.viaIndex !== undefined && c.viaIndex !== z;
      },
      1000,
      40_000,
    );
    assert.ok(moved >= 0, 'relay never re-selected');
    const c = ring.snapshot(x).connections.find((k) => k.peer === y)!;
    assert.ok(ring.alive(c.viaIndex!), 'new relay is alive');
    console.log(`# relay ${z} of ${x}-${y} died; re-selected ${c.viaIndex} after ${moved / 1000} s`);
    ring.stop();
  });

  it('relaySelection "age" also relays through the overlap', async () => {
    const { ring } = await natRing('age', 10);
    const snaps = Array.from({ length: ring.size }, (_, i) => ring.snapshot(i));
    const pairs = relayPairs(ring, snaps);
    assert.ok(pairs.length >= 10, `only ${pairs.length} relayed connections`);
    const has = (i: number, z: number) =>
      snaps[i]!.connections.some((c) => c.peer === z && c.kind !== 'relay');
    const inOverlap = pairs.filter(({ x, y, z }) => has(x, z) && has(y, z)).length;
    assert.ok(
      inOverlap >= pairs.length * 0.95,
      `only ${inOverlap} of ${pairs.length} relays through the overlap`,
    );
    ring.stop();
  });
});
