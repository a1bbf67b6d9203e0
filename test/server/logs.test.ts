/**
 * On-demand log pull end to end: server → node agent (real HTTP, bearer token) → SQLite → API, and each
 * way it can fail, with nothing half-stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../server/store/index.js';
import { systemClock } from '../../server/core/clock.js';
import { startFixture, type ServerFixture } from './helpers.js';

async function someNode(f: ServerFixture, index = 0): Promise<string> {
  const crawlId = await f.crawl();
  const topo = await f.api(`/api/v1/crawls/${crawlId}/topology?connections=false`, { role: 'viewer' });
  const id = f.sim.ring.nodeId(index);
  assert.ok(topo.body.nodes.some((n: { nodeId: string }) => n.nodeId === id));
  return id;
}

test('an operator pulls a node’s logs; the pull is stored, listed, audited and announced', async (t) => {
  const f = await startFixture(t, { nodes: 10 });
  const id = await someNode(f);
  const pulled = await f.api(`/api/v1/nodes/${id}/logs`, {
    method: 'POST',
    body: { tail: 50 },
    role: 'operator',
  });
  assert.equal(pulled.status, 201, JSON.stringify(pulled.body));
  assert.equal(pulled.body.nodeKey, id);
  assert.ok(pulled.body.records.length > 0, 'the simulated node has logged its joins and stabilisation');
  assert.ok(pulled.body.records.length <= 50);
  assert.equal(pulled.body.lines, pulled.body.records.length);
  assert.equal(pulled.body.requestedBy, 'token:test-operator');

  const upper = await f.api(`/api/v1/nodes/${id.toUpperCase()}/logs`, { role: 'viewer' });
  assert.equal(upper.status, 200);
  assert.equal(upper.body.items.length, 1);
  assert.equal(upper.body.items[0].id, pulled.body.id);
  assert.equal(upper.body.items[0].records, undefined, 'lists carry no records');
  const one = await f.api(`/api/v1/log-pulls/${pulled.body.id}`, { role: 'viewer' });
  assert.deepEqual(one.body.records, pulled.body.records);

  const filtered = await f.api(`/api/v1/nodes/${id}/logs`, {
    method: 'POST',
    body: { tail: 5, level: 'error' },
    role: 'operator',
  });
  assert.equal(filtered.status, 201);
  assert.ok(
    filtered.body.records.every((r: { level: string }) => r.level === 'error' || r.level === 'fatal'),
  );

  assert.equal(
    (await f.api(`/api/v1/nodes/${id}/logs`, { method: 'POST', body: { tail: 5 }, role: 'viewer' })).status,
    403,
  );
  const invalid = await f.api(`/api/v1/nodes/${id}/logs`, {
    method: 'POST',
    body: { tail: -1 },
    role: 'operator',
  });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.error.details[0].path, 'tail');
  const audit = await f.api('/api/v1/audit', { role: 'admin' });
  const pulls = audit.body.items.filter((e: { action: string }) => e.action === 'logs.pull');
  assert.equal(pulls.length, 2);
  assert.equal(pulls[0].target, id);
});

test('log pull failures are clear errors and store nothing', async (t) => {
  const f = await startFixture(t, { nodes: 8 }, (o) => ({
    ...o,
    agents: { ...o.agents, logToken: 'not-the-agents-token' },
  }));
  const id = await someNode(f, 1);
  const refused = await f.api(`/api/v1/nodes/${id}/logs`, { method: 'POST', body: {}, role: 'operator' });
  assert.equal(refused.status, 502);
  assert.equal(refused.body.error.code, 'agent_auth_failed');
  assert.doesNotMatch(JSON.stringify(refused.body), /not-the-agents-token/);

  const unknown = await f.api(`/api/v1/nodes/${'f'.repeat(40)}/logs`, {
    method: 'POST',
    body: {},
    role: 'operator',
  });
  assert.equal(unknown.status, 404);
  const bad = await f.api('/api/v1/nodes/not-a-node/logs', { method: 'POST', body: {}, role: 'operator' });
  assert.equal(bad.status, 400);

  const db = await openDatabase(f.dbFile, { clock: systemClock() });
  try {
    const rows = await db.get<{ n: number }>('SELECT count(*) AS n FROM log_pulls');
    assert.equal(rows?.n, 0, 'no failed pull is stored');
    const failed = await db.all<{ action: string; detail: string }>(
      "SELECT action, detail FROM audit_log WHERE action = 'logs.pull_failed'",
    );
    assert.equal(failed.length, 2);
    assert.match(failed[0]!.detail, /agent_auth/);
  } finally {
    await db.close();
  }
});

test('an unreachable node and an oversized answer are reported as such', async (t) => {
  const f = await startFixture(t, { nodes: 8 }, (o) => ({ ...o, agents: { ...o.agents, logMaxBytes: 120 } }));
  const id = await someNode(f, 2);
  const big = await f.api(`/api/v1/nodes/${id}/logs`, {
    method: 'POST',
    body: { tail: 1000 },
    role: 'operator',
  });
  assert.equal(big.status, 502);
  assert.equal(big.body.error.code, 'log_too_large');

  await f.inject({ kind: 'kill', node: 2 });
  const down = await f.api(`/api/v1/nodes/${id}/logs`, { method: 'POST', body: {}, role: 'operator' });
  assert.equal(down.status, 502);
  assert.equal(down.body.error.code, 'node_unreachable');
  const list = await f.api(`/api/v1/nodes/${id}/logs`, { role: 'viewer' });
  assert.deepEqual(list.body.items, []);
});
