/**
 * The simulator seen from outside, as the crawler will see it: real HTTP on loopback, faults injected
 * through the control API and observed through each node's status endpoint.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../server/sim/run.js';
import { LogsResponseSchema } from '../../node-agent/schema.js';
import { controlNodes, errorCode, get, post, request, ringConverged, status, waitFor } from './helpers.js';

let sim: Simulator;

before(async () => {
  sim = await startSimulator({
    nodes: 24,
    seed: 7,
    latencyMs: 10,
    stabilizeMs: 100,
    threadDeadlineMs: 800,
    nat: 0.3,
  });
});
after(() => sim.close());

async function inject(fault: Record<string, unknown>): Promise<{ id: string; targets: number[] }> {
  const r = await post(`${sim.control}/faults`, fault);
  assert.equal(r.status, 201, r.body);
  return (JSON.parse(r.body) as { fault: { id: string; targets: number[] } }).fault;
}

test('every node serves a valid status over its own port, and the joined ring converges', async () => {
  const nodes = await controlNodes(sim.control);
  assert.equal(nodes.length, 24);
  assert.equal(new Set(nodes.map((n) => n.endpoint)).size, 24, 'one distinct endpoint per node');
  for (const n of nodes) {
    const s = await status(n.endpoint);
    assert.equal(s.nodeId, n.nodeId);
    assert.equal(s.endpoint, n.endpoint);
    assert.equal(s.threads.length, 4);
  }
  await waitFor('converged ring', () => ringConverged(sim.control));
});

test('the ready seeds are live endpoints', async () => {
  assert.ok(sim.seeds.length >= 1);
  for (const seed of sim.seeds) assert.equal((await status(seed)).schema, 1);
});

test('relayed connections appear between NAT-ed peers, via a third node', async () => {
  const relays = await waitFor('a relay connection', async () => {
    for (const n of await controlNodes(sim.control)) {
      const r = (await status(n.endpoint)).connections.filter((c) => c.kind === 'relay');
      if (r.length > 0) return { node: n, relays: r };
    }
    return undefined;
  });
  for (const c of relays.relays) {
    assert.ok(c.via, 'a relay connection names its relay');
    assert.notEqual(c.via, relays.node.nodeId);
    assert.notEqual(c.via, c.peerId);
  }
});

test('kill closes the port (connection refused); clearing the fault brings the node back', async () => {
  const f = await inject({ kind: 'kill', node: 3 });
  const ep = sim.endpoint(3);
  await waitFor('refused', async () => (await errorCode(get(`${ep}/v1/status`))) === 'ECONNREFUSED');
  assert.equal((await request('DELETE', `${sim.control}/faults/${f.id}`)).status, 204);
  await waitFor('node back', async () => (await status(ep)).nodeId === sim.ring.nodeId(3));
});

test('hang accepts the connection and never answers', async () => {
  await inject({ kind: 'hang', node: 5 });
  assert.equal(await errorCode(get(`${sim.endpoint(5)}/v1/status`, { timeoutMs: 400 })), 'TIMEOUT');
});

test('garbage answers 200 with invalid JSON', async () => {
  await inject({ kind: 'garbage', node: 6 });
  const r = await get(`${sim.endpoint(6)}/v1/status`);
  assert.equal(r.status, 200);
  assert.throws(() => JSON.parse(r.body) as unknown);
});

test('slow answers only after its delay', async () => {
  await inject({ kind: 'slow', node: 7, delayMs: 600 });
  const t0 = Date.now();
  await status(sim.endpoint(7));
  assert.ok(Date.now() - t0 >= 550, `answered after ${Date.now() - t0} ms`);
});

test('lie-id reports another node ID than the node has', async () => {
  await inject({ kind: 'lie-id', node: 8, as: 9 });
  const s = await status(sim.endpoint(8));
  assert.equal(s.nodeId, sim.ring.nodeId(9));
  assert.notEqual(s.nodeId, sim.ring.nodeId(8));
});

test('stall-thread: the named thread turns stalled after its deadline while the endpoint answers', async () => {
  await inject({ kind: 'stall-thread', node: 10, thread: 'routing' });
  const s = await waitFor('stalled thread', async () => {
    const st = await status(sim.endpoint(10));
    return st.threads.find((t) => t.name === 'routing' && t.state === 'stalled') ? st : undefined;
  });
  assert.ok(s.threads.filter((t) => t.name !== 'routing').every((t) => t.state === 'running'));
});

test('leak: queue depth and memory grow steadily', async () => {
  await inject({ kind: 'leak', node: 11, bytesPerSec: 5_000_000, queuePerSec: 100 });
  const a = await status(sim.endpoint(11));
  await new Promise((r) => setTimeout(r, 700));
  const b = await status(sim.endpoint(11));
  assert.ok(b.queue.depth > a.queue.depth, `queue ${a.queue.depth} → ${b.queue.depth}`);
  assert.ok(b.process.rssBytes > a.process.rssBytes, `rss ${a.process.rssBytes} → ${b.process.rssBytes}`);
});

test('restart: the node comes back with the same ID and reset counters', async () => {
  const before = await status(sim.endpoint(12));
  await inject({ kind: 'restart', node: 12, downMs: 300 });
  const after = await waitFor('restarted', async () => {
    const s = await status(sim.endpoint(12));
    return s.startedAt !== before.startedAt ? s : undefined;
  });
  assert.equal(after.nodeId, before.nodeId);
  assert.ok(Date.parse(after.startedAt) > Date.parse(before.startedAt));
  assert.ok(after.traffic.bytesIn <= before.traffic.bytesIn || after.traffic.bytesIn < 1_000_000);
});

test('stale-neighbor: the node keeps a wrong R1 and never heals while the fault is active', async () => {
  await inject({ kind: 'stale-neighbor', node: 14, side: 'right', peer: 20 });
  await new Promise((r) => setTimeout(r, 600)); // several stabilisation rounds
  assert.equal((await status(sim.endpoint(14))).ring.right[0]?.id, sim.ring.nodeId(20));
});

test('the log endpoint of a simulated node needs the token', async () => {
  const url = `${sim.endpoint(1)}/v1/logs?tail=50`;
  assert.equal((await get(url)).status, 401);
  const r = await get(url, { headers: { Authorization: `Bearer ${sim.logToken}` } });
  assert.equal(r.status, 200);
  LogsResponseSchema.parse(JSON.parse(r.body));
});

test('control API validates faults and lists active ones', async () => {
  const bad = await post(`${sim.control}/faults`, { kind: 'explode', node: 1 });
  assert.equal(bad.status, 400);
  assert.ok((JSON.parse(bad.body) as { error: { code: string } }).error.code);
  const list = JSON.parse((await get(`${sim.control}/faults`)).body) as { kind: string }[];
  assert.ok(list.some((f) => f.kind === 'stale-neighbor'));
  assert.equal((await request('DELETE', `${sim.control}/faults/nope`)).status, 404);
  assert.equal((await get(`${sim.control}/nope`)).status, 404);
});
