import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorBodySchema, LOG_LIMITS, LogsResponseSchema } from '../../node-agent/index.js';
import type { LogsResponse } from '../../node-agent/index.js';
import { TOKEN, bearer, get, liveAgent, nodeId } from './helpers.js';

async function logs(base: string, query = ''): Promise<LogsResponse> {
  const r = await get(`${base}/v1/logs${query}`, bearer(TOKEN));
  assert.equal(r.status, 200, r.text);
  return LogsResponseSchema.parse(r.json());
}

void test('the log endpoint requires the bearer token', async (t) => {
  const { agent, base } = await liveAgent(t, { logToken: TOKEN });
  agent.log('info', 'hello');
  const missing = await get(`${base}/v1/logs`);
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal(ErrorBodySchema.parse(missing.json()).error.code, 'unauthorized');
  for (const header of [`Bearer ${TOKEN}x`, 'Bearer short', `Basic ${TOKEN}`, `Bearer`, TOKEN]) {
    const r = await get(`${base}/v1/logs`, { headers: { authorization: header } });
    assert.equal(r.status, 401, header);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  }
  const ok = await get(`${base}/v1/logs`, { headers: { authorization: `bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  const body = LogsResponseSchema.parse(ok.json());
  assert.equal(body.nodeId, nodeId(3));
  assert.deepEqual(
    body.records.map((r) => r.msg),
    ['hello'],
  );
});

void test('without a configured token the log endpoint is disabled (403), never open', async (t) => {
  const { agent, base } = await liveAgent(t);
  agent.log('info', 'secret');
  for (const init of [{}, bearer(TOKEN), bearer('anything')]) {
    const r = await get(`${base}/v1/logs`, init);
    assert.equal(r.status, 403);
    assert.equal(ErrorBodySchema.parse(r.json()).error.code, 'logs_disabled');
    assert.doesNotMatch(r.text, /secret/);
  }
});

void test('bad queries answer 400 invalid_query (after auth)', async (t) => {
  const { base } = await liveAgent(t, { logToken: TOKEN });
  assert.equal((await get(`${base}/v1/logs?tail=0`)).status, 401);
  for (const q of [
    'tail=0',
    'tail=10001',
    'tail=abc',
    'tail=1.5',
    'level=loud',
    'sinceSeconds=-1',
    'tail=1&tail=2',
  ]) {
    const r = await get(`${base}/v1/logs?${q}`, bearer(TOKEN));
    assert.equal(r.status, 400, q);
    assert.equal(ErrorBodySchema.parse(r.json()).error.code, 'invalid_query');
  }
  assert.equal(
    (await get(`${base}/v1/logs?tail=10000&sinceSeconds=1.5&level=fatal&x=1`, bearer(TOKEN))).status,
    200,
  );
});

void test('tail returns the newest records, newest last, and flags truncation', async (t) => {
  const { agent, base, clock } = await liveAgent(t, { logToken: TOKEN });
  for (let i = 0; i < 300; i++) {
    agent.log('info', `m${i}`, { i });
    clock.advance(10);
  }
  const dflt = await logs(base);
  assert.equal(dflt.records.length, LOG_LIMITS.defaultTail);
  assert.equal(dflt.records.at(-1)?.msg, 'm299');
  assert.equal(dflt.records[0]?.msg, 'm100');
  assert.equal(dflt.truncated, true);
  const three = await logs(base, '?tail=3');
  assert.deepEqual(
    three.records.map((r) => [r.msg, r.fields]),
    [
      ['m297', { i: 297 }],
      ['m298', { i: 298 }],
      ['m299', { i: 299 }],
    ],
  );
  assert.ok(Date.parse(three.records[0]!.time) < Date.parse(three.records[2]!.time));
  const all = await logs(base, '?tail=300');
  assert.equal(all.records.length, 300);
  assert.equal(all.truncated, false);
});

void test('answers are capped at 1 MiB of records', async (t) => {
  const { agent, base } = await liveAgent(t, {
    logToken: TOKEN,
    logCapacity: { records: 5000, bytes: 8_388_608 },
  });
  const pad = 'x'.repeat(1000);
  for (let i = 0; i < 3000; i++) agent.log('warn', `${i} ${pad}`);
  const r = await get(`${base}/v1/logs?tail=10000`, bearer(TOKEN));
  const body = LogsResponseSchema.parse(r.json());
  assert.equal(body.truncated, true);
  assert.ok(body.records.length > 900 && body.records.length < 1100, String(body.records.length));
  assert.ok(Buffer.byteLength(r.text) <= LOG_LIMITS.maxResponseBytes + 200);
  assert.ok(body.records.at(-1)?.msg.startsWith('2999 '));
});

void test('level and sinceSeconds filter records', async (t) => {
  const { agent, base, clock } = await liveAgent(t, { logToken: TOKEN });
  agent.log('debug', 'old debug');
  agent.log('error', 'old error');
  clock.advance(60_000);
  agent.log('info', 'new info');
  agent.log('warn', 'new warn');
  agent.log('fatal', 'new fatal');
  clock.advance(1000);
  const msgs = async (q: string) => (await logs(base, q)).records.map((r) => r.msg);
  assert.deepEqual(await msgs('?level=warn'), ['old error', 'new warn', 'new fatal']);
  assert.deepEqual(await msgs('?sinceSeconds=30'), ['new info', 'new warn', 'new fatal']);
  assert.deepEqual(await msgs('?sinceSeconds=30&level=error'), ['new fatal']);
  assert.deepEqual(await msgs('?sinceSeconds=61'), [
    'old debug',
    'old error',
    'new info',
    'new warn',
    'new fatal',
  ]);
  assert.deepEqual(await msgs('?level=trace&tail=1'), ['new fatal']);
  const limited = await logs(base, '?level=error&tail=1');
  assert.equal(limited.truncated, true);
});

void test('the ring buffer drops the oldest records by count and by bytes', async (t) => {
  const { agent, base } = await liveAgent(t, { logToken: TOKEN, logCapacity: { records: 50, bytes: 4096 } });
  for (let i = 0; i < 120; i++) agent.log('info', `r${i}`);
  const byCount = await logs(base, '?tail=10000');
  assert.equal(byCount.records.length, 50);
  assert.equal(byCount.records[0]?.msg, 'r70');
  for (let i = 0; i < 10; i++) agent.log('info', `big${i} ${'y'.repeat(1000)}`);
  const byBytes = await logs(base, '?tail=10000');
  assert.ok(byBytes.records.length <= 4, String(byBytes.records.length));
  assert.equal(byBytes.records.at(-1)?.msg.slice(0, 4), 'big9');
  const bytes = byBytes.records.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
  assert.ok(bytes <= 4096);
});

void test('oversized and unserializable records are cut down, not dropped', async (t) => {
  const { agent, base } = await liveAgent(t, { logToken: TOKEN });
  agent.log('error', 'z'.repeat(100_000), { note: 'w'.repeat(50_000) });
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  agent.log('info', 'circular', circular);
  const { records } = await logs(base);
  assert.equal(records.length, 2);
  const [big, circ] = records;
  assert.ok(Buffer.byteLength(JSON.stringify(big)) <= 16_384);
  assert.equal(big?.level, 'error');
  assert.equal(big?.fields?.truncated, true);
  assert.ok(Number(big?.fields?.originalBytes) > 150_000);
  assert.deepEqual(circ?.fields, { unserializable: true });
});
