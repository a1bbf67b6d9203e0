/** The shared-port endpoint mode and the `ringwatch sim` command. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { startSimulator } from '../../server/sim/run.js';
import { controlNodes, errorCode, get, post, request, ringsByR1, status, waitFor } from './helpers.js';

test('paths mode: nodes share a port under /n/INDEX, every answer closes its connection', async (t) => {
  const sim = await startSimulator({
    nodes: 30,
    endpoints: 'paths',
    latencyMs: 5,
    stabilizeMs: 100,
    bootstrap: 'converged',
  });
  t.after(() => sim.close());
  const nodes = await controlNodes(sim.control);
  assert.match(nodes[4]!.endpoint, /\/n\/4$/);
  const r = await get(`${nodes[4]!.endpoint}/v1/status`);
  assert.equal(r.headers.connection, 'close');
  assert.equal((await status(nodes[4]!.endpoint)).nodeId, nodes[4]!.nodeId);
  await post(`${sim.control}/faults`, { kind: 'kill', node: 4 });
  assert.equal(await errorCode(get(`${nodes[4]!.endpoint}/v1/status`)), 'ECONNRESET');
});

test('mass-loss and duplicate-id are visible from outside', async (t) => {
  const sim = await startSimulator({
    nodes: 40,
    latencyMs: 5,
    stabilizeMs: 100,
    bootstrap: 'converged',
    seed: 3,
  });
  t.after(() => sim.close());
  await post(`${sim.control}/faults`, { kind: 'duplicate-id', node: 2, as: 30 });
  await waitFor('duplicate id', async () => (await status(sim.endpoint(2))).nodeId === sim.ring.nodeId(30));
  assert.equal((await status(sim.endpoint(30))).nodeId, sim.ring.nodeId(30));

  const r = await post(`${sim.control}/faults`, { kind: 'mass-loss', fraction: 0.25 });
  const lost = (JSON.parse(r.body) as { fault: { targets: number[] } }).fault.targets;
  assert.equal(lost.length, 10);
  const codes = await Promise.all(lost.map((i) => errorCode(get(`${sim.endpoint(i)}/v1/status`))));
  assert.deepEqual(new Set(codes), new Set(['ECONNREFUSED']));
});

test('partition: following R1 pointers finds two rings; clearing it heals back to one', async (t) => {
  const sim = await startSimulator({
    nodes: 40,
    latencyMs: 5,
    stabilizeMs: 100,
    bootstrap: 'converged',
    seed: 5,
  });
  t.after(() => sim.close());
  const r = await post(`${sim.control}/faults`, { kind: 'partition', fraction: 0.5 });
  assert.equal(r.status, 201, r.body);
  const id = (JSON.parse(r.body) as { fault: { id: string } }).fault.id;
  await waitFor('two rings', async () => (await ringsByR1(sim.control)) === 2, 30_000);
  assert.equal((await request('DELETE', `${sim.control}/faults/${id}`)).status, 204);
  await waitFor('one ring again', async () => (await ringsByR1(sim.control)) === 1, 60_000);
});

test('`ringwatch sim` prints one JSON ready line and stops cleanly on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    ['bin/ringwatch.js', 'sim', '--nodes', '12', '--latency-ms', '5', '--stabilize-ms', '100'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, 'line')) as [string];
    const ready = JSON.parse(line) as { ready: boolean; seeds: string[]; control: string };
    assert.equal(ready.ready, true);
    assert.ok(ready.seeds.length > 0);
    assert.equal((await controlNodes(ready.control)).length, 12);
    assert.equal((await status(ready.seeds[0]!)).schema, 1);
  } finally {
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  }
});

test('`ringwatch sim` rejects bad flags with a message naming the flag', async () => {
  const child = spawn(process.execPath, ['bin/ringwatch.js', 'sim', '--nodes', 'many'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  assert.notEqual(code, 0);
  assert.match(err, /--nodes/);
});
