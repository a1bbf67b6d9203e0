import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ErrorBodySchema, StatusSchema, StateUnavailableError, createAgent } from '../../node-agent/index.js';
import type { AgentView } from '../../node-agent/index.js';
import { get, liveAgent, nodeId, sampleView } from './helpers.js';

void test('served status parses with StatusSchema and follows the view live', async (t) => {
  let view: AgentView = sampleView();
  const { agent, base, clock } = await liveAgent(t, { view: () => view, queueDepth: () => 7 });
  const r1 = await get(`${base}/v1/status`);
  assert.equal(r1.status, 200);
  assert.equal(r1.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(r1.headers.get('cache-control'), 'no-store');
  const s1 = StatusSchema.parse(r1.json());
  assert.equal(s1.schema, 1);
  assert.equal(s1.nodeId, nodeId(3));
  assert.equal(s1.version, '1.2.3');
  assert.deepEqual(s1.ring, { left: view.left, right: view.right });
  assert.deepEqual(s1.connections, view.connections);
  assert.equal(s1.queue.depth, 7);
  assert.equal(s1.startedAt, new Date(agent.startedAt).toISOString());
  assert.equal(s1.now, s1.startedAt);

  view = { ...view, right: [], connections: view.connections.slice(0, 1) };
  clock.advance(5000);
  agent.countTraffic({ bytesIn: 10, packetsIn: 1 });
  agent.countTraffic({ bytesOut: 4, packetsOut: 2, bytesIn: 1 });
  const s2 = StatusSchema.parse((await get(`${base}/v1/status`)).json());
  assert.deepEqual(s2.ring.right, []);
  assert.equal(s2.connections.length, 1);
  assert.equal(Date.parse(s2.now) - Date.parse(s2.startedAt), 5000);
  assert.deepEqual(s2.traffic, { bytesIn: 11, bytesOut: 4, packetsIn: 1, packetsOut: 2 });
});

void test('status() equals what is served, and setNodeId changes the reported ID', async (t) => {
  const { agent, base } = await liveAgent(t, {
    traffic: () => ({ bytesIn: 1, bytesOut: 2, packetsIn: 3, packetsOut: 4 }),
  });
  assert.deepEqual((await get(`${base}/v1/status`)).json(), agent.status());
  agent.setNodeId(nodeId(42));
  assert.equal(agent.nodeId, nodeId(42));
  const s = StatusSchema.parse((await get(`${base}/v1/status`)).json());
  assert.equal(s.nodeId, nodeId(42));
  assert.deepEqual(s.traffic, { bytesIn: 1, bytesOut: 2, packetsIn: 3, packetsOut: 4 });
  assert.throws(() => agent.setNodeId('ABC'), /40 lowercase hex/);
  assert.throws(() => agent.countTraffic({ bytesIn: -1 }), /non-negative integer/);
});

void test('default process stats read the real process', () => {
  const agent = createAgent({
    nodeId: nodeId(1),
    endpoint: 'http://a.example:1',
    version: 'v',
    view: sampleView,
  });
  try {
    const p = StatusSchema.parse(agent.status()).process;
    assert.ok(p.rssBytes > 0 && p.heapUsedBytes > 0 && p.cpuSeconds > 0);
    assert.ok(p.eventLoopLagMs >= 0);
  } finally {
    agent.close();
  }
});

void test('unknown paths answer 404 and other methods 405, with the error body', async (t) => {
  const { base } = await liveAgent(t);
  for (const path of ['/', '/v1/status/', '/v2/status', '/metrics/x']) {
    const r = await get(`${base}${path}`);
    assert.equal(r.status, 404, path);
    assert.equal(ErrorBodySchema.parse(r.json()).error.code, 'not_found');
  }
  const r = await get(`${base}/v1/status`, { method: 'POST', body: '{}' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET');
  assert.equal(ErrorBodySchema.parse(r.json()).error.code, 'method_not_allowed');
  const h = await get(`${base}/metrics`, { method: 'DELETE' });
  assert.equal(h.status, 405);
});

void test('a bad view never yields a half-valid document', async (t) => {
  let mode: 'invalid' | 'unavailable' | 'crash' = 'invalid';
  const errors: unknown[] = [];
  const { base } = await liveAgent(t, {
    onError: (e) => errors.push(e),
    view: () => {
      if (mode === 'unavailable') throw new StateUnavailableError('state_unavailable', 'not joined yet');
      if (mode === 'crash') throw new Error('boom');
      const v = sampleView();
      v.left[0] = { id: 'nope', endpoint: 'http://x:1' };
      return v;
    },
  });
  const invalid = await get(`${base}/v1/status`);
  assert.equal(invalid.status, 503);
  const body = ErrorBodySchema.parse(invalid.json());
  assert.equal(body.error.code, 'status_invalid');
  assert.match(body.error.message, /ring\.left\.0\.id/);
  mode = 'unavailable';
  const unavailable = ErrorBodySchema.parse((await get(`${base}/v1/status`)).json());
  assert.deepEqual(unavailable.error, { code: 'state_unavailable', message: 'not joined yet' });
  mode = 'crash';
  const crash = await get(`${base}/metrics`);
  assert.equal(crash.status, 500);
  assert.equal(ErrorBodySchema.parse(crash.json()).error.code, 'internal_error');
  assert.equal((errors[0] as Error).message, 'boom');
});

void test('handle() multiplexes agents under path prefixes', async (t) => {
  const agents = [1, 2].map((n) =>
    createAgent({ nodeId: nodeId(n), endpoint: `http://127.0.0.1/n/${n}`, version: 'v', view: sampleView }),
  );
  const server = createServer((req, res) => {
    const m = /^\/n\/(\d+)(\/.*)?$/.exec(req.url ?? '');
    const agent = m ? agents[Number(m[1]) - 1] : undefined;
    if (!agent || !agent.handle(req, res, m?.[2] ?? '/')) {
      res.writeHead(418).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const a of agents) a.close();
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const s2 = StatusSchema.parse((await get(`http://127.0.0.1:${port}/n/2/v1/status`)).json());
  assert.equal(s2.nodeId, nodeId(2));
  assert.equal(s2.endpoint, 'http://127.0.0.1/n/2');
  assert.equal((await get(`http://127.0.0.1:${port}/n/1/v1/nothing`)).status, 418);
});

void test('options are validated with clear errors', () => {
  const ok = { nodeId: nodeId(1), endpoint: 'http://h:1', version: 'v', view: sampleView };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ nodeId: 'ABC' }, /nodeId.*40 lowercase hex/],
    [{ endpoint: 'http://h:1/' }, /endpoint.*trailing slash/],
    [{ endpoint: 'ftp://h' }, /endpoint/],
    [{ version: '' }, /version/],
    [{ view: undefined }, /"view" must be a function/],
    [{ now: 5 }, /"now" must be a function/],
    [{ logToken: 'has space' }, /logToken/],
    [{ logToken: '' }, /logToken/],
    [{ logCapacity: { records: 0 } }, /logCapacity\.records/],
    [{ logCapacity: { lines: 5 } }, /logCapacity/],
    [{ startedAt: 'yesterday' }, /startedAt/],
    [{ nodeID: nodeId(1) }, /unknown option "nodeID"/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => createAgent({ ...ok, ...patch }), message, JSON.stringify(patch));
  }
  const a = createAgent({ ...ok, startedAt: '2026-01-01T00:00:00Z' });
  assert.equal(a.startedAt, Date.UTC(2026, 0, 1));
  a.close();
});

void test('close() is idempotent, stops the listen() server and answers 503 through handle()', async () => {
  const agent = createAgent({ nodeId: nodeId(1), endpoint: 'http://h:1', version: 'v', view: sampleView });
  const server = await agent.listen();
  const base = `http://127.0.0.1:${server.port}`;
  assert.equal((await get(`${base}/v1/status`)).status, 200);
  const other = createServer((req, res) => agent.handle(req, res, req.url ?? '/'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  agent.close();
  agent.close();
  assert.equal(agent.closed, true);
  await server.close();
  await assert.rejects(get(`${base}/v1/status`));
  const { port } = other.address() as { port: number };
  const r = await get(`http://127.0.0.1:${port}/v1/status`);
  assert.equal(r.status, 503);
  assert.equal(ErrorBodySchema.parse(r.json()).error.code, 'agent_closed');
  other.closeAllConnections();
  other.close();
  await assert.rejects(agent.listen(), /closed/);
});
