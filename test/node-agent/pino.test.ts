import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { LogsResponseSchema } from '../../node-agent/index.js';
import type { LogRecord } from '../../node-agent/index.js';
import { TOKEN, bearer, get, liveAgent } from './helpers.js';

async function records(base: string, query = ''): Promise<LogRecord[]> {
  const r = await get(`${base}/v1/logs${query}`, bearer(TOKEN));
  return LogsResponseSchema.parse(r.json()).records;
}

void test('pino writes straight into the agent', async (t) => {
  const { agent, base } = await liveAgent(t, { logToken: TOKEN });
  const log = pino(
    { level: 'trace', base: { pid: process.pid, hostname: 'h', svc: 'vpn' } },
    agent.logStream,
  );
  const before = Date.now();
  log.trace('t');
  log.debug('d');
  log.info({ peer: 'abc', n: 3 }, 'connected');
  log.warn('w');
  log.error(new Error('kaput'), 'failed');
  log.child({ thread: 'routing' }).fatal('dead');
  const got = await records(base, '?level=trace');
  assert.deepEqual(
    got.map((r) => [r.level, r.msg]),
    [
      ['trace', 't'],
      ['debug', 'd'],
      ['info', 'connected'],
      ['warn', 'w'],
      ['error', 'failed'],
      ['fatal', 'dead'],
    ],
  );
  assert.deepEqual(got[2]?.fields, { svc: 'vpn', peer: 'abc', n: 3 });
  const err = got[4]?.fields?.err as { message?: string; type?: string } | undefined;
  assert.equal(err?.message, 'kaput');
  assert.equal(err?.type, 'Error');
  assert.equal(got[5]?.fields?.thread, 'routing');
  for (const r of got) {
    assert.ok(r.fields && !('pid' in r.fields) && !('hostname' in r.fields) && !('level' in r.fields));
    assert.ok(Math.abs(Date.parse(r.time) - before) < 5000, 'time comes from pino, epoch ms');
  }
});

void test('pino ISO timestamps and custom levels are converted', async (t) => {
  const { agent, base } = await liveAgent(t, { logToken: TOKEN });
  const log = pino(
    {
      timestamp: () => ',"time":"2026-03-04T05:06:07.089+02:00"',
      customLevels: { notice: 35 },
      level: 'info',
    },
    agent.logStream,
  );
  log.notice('custom');
  const [r] = await records(base);
  assert.equal(r?.time, '2026-03-04T03:06:07.089Z');
  assert.equal(r?.level, 'info');
  assert.equal(r?.msg, 'custom');
});

void test('the stream accepts split chunks, several lines per write, bytes and plain text', async (t) => {
  const { agent, base, clock } = await liveAgent(t, { logToken: TOKEN });
  const s = agent.logStream;
  s.write('{"level":40,"time":1767225600000,"msg":"spl');
  s.write('it"}\n{"level":50,"msg":"two"}\n');
  s.write(Buffer.from('2026-01-01T00:00:01Z ERROR plain line\nno newline yet'));
  s.write('\n\n{"level":30,"msg":{"obj":1}}\n[not json\n');
  const got = await records(base);
  assert.deepEqual(
    got.map((r) => [r.level, r.msg, r.time]),
    [
      ['warn', 'split', '2026-01-01T00:00:00.000Z'],
      ['error', 'two', new Date(clock.now()).toISOString()],
      ['error', '2026-01-01T00:00:01Z ERROR plain line', '2026-01-01T00:00:01.000Z'],
      ['info', 'no newline yet', new Date(clock.now()).toISOString()],
      ['info', '{"obj":1}', new Date(clock.now()).toISOString()],
      ['info', '[not json', new Date(clock.now()).toISOString()],
    ],
  );
});
