import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_LIMITS, StatusSchema } from '../../node-agent/index.js';
import type { ThreadStatus } from '../../node-agent/index.js';
import { get, liveAgent } from './helpers.js';

async function threads(base: string): Promise<Map<string, ThreadStatus>> {
  const status = StatusSchema.parse((await get(`${base}/v1/status`)).json());
  return new Map(status.threads.map((th) => [th.name, th]));
}

void test('a thread is stalled once its deadline passes and recovers on beat', async (t) => {
  const { agent, base, clock } = await liveAgent(t);
  const routing = agent.liveness('routing', { deadlineMs: 1000 });
  const start = clock.now();
  assert.equal((await threads(base)).get('routing')?.state, 'running');

  clock.advance(1000);
  assert.equal(routing.state(), 'running', 'exactly at the deadline is still running');
  clock.advance(1);
  const stalled = (await threads(base)).get('routing');
  assert.equal(stalled?.state, 'stalled');
  assert.equal(stalled?.lastBeatAt, new Date(start).toISOString());
  assert.equal(stalled?.deadlineMs, 1000);

  routing.beat();
  const recovered = (await threads(base)).get('routing');
  assert.equal(recovered?.state, 'running');
  assert.equal(recovered?.lastBeatAt, new Date(start + 1001).toISOString());
});

void test('waiting is legitimate idleness until the next beat', async (t) => {
  const { agent, base, clock } = await liveAgent(t);
  const queue = agent.liveness('queue', { deadlineMs: 500 });
  queue.waiting();
  clock.advance(60_000);
  assert.equal((await threads(base)).get('queue')?.state, 'waiting');
  queue.beat();
  assert.equal((await threads(base)).get('queue')?.state, 'running');
  clock.advance(501);
  assert.equal((await threads(base)).get('queue')?.state, 'stalled');
});

void test('same name, same handle; close() removes the thread', async (t) => {
  const { agent, base } = await liveAgent(t);
  const a = agent.liveness('dht', { deadlineMs: 100 });
  const b = agent.liveness('dht', { deadlineMs: 250 });
  assert.equal(a, b);
  assert.equal(a.deadlineMs, 250);
  agent.liveness('timers', { deadlineMs: 100 });
  assert.deepEqual([...(await threads(base)).keys()], ['dht', 'timers']);

  a.close();
  assert.equal(a.closed, true);
  a.beat();
  assert.deepEqual([...(await threads(base)).keys()], ['timers']);
  const c = agent.liveness('dht', { deadlineMs: 100 });
  assert.notEqual(c, a);
  assert.deepEqual([...(await threads(base)).keys()], ['timers', 'dht']);
});

void test('liveness arguments are validated and threads are capped', async (t) => {
  const { agent } = await liveAgent(t);
  assert.throws(() => agent.liveness('', { deadlineMs: 10 }), /name/);
  assert.throws(() => agent.liveness('x', { deadlineMs: 0 }), /deadlineMs/);
  assert.throws(() => agent.liveness('x', { deadlineMs: 1.5 }), /deadlineMs/);
  for (let i = 0; i < STATUS_LIMITS.threads; i++) agent.liveness(`t${i}`, { deadlineMs: 10 });
  assert.throws(() => agent.liveness('one-too-many', { deadlineMs: 10 }), /at most 256/);
  assert.equal(StatusSchema.parse(agent.status()).threads.length, STATUS_LIMITS.threads);
});
