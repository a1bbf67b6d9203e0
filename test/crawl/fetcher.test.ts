/** Status fetcher against a real agent and hostile loopback servers answering with the wrong thing. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createAgent } from '../../node-agent/index.js';
import type { Agent, Status } from '../../node-agent/index.js';
import { systemClock } from '../../server/core/clock.js';
import type { Clock } from '../../server/core/clock.js';
import type { Visit } from '../../server/core/model.js';
import { createAllowList, createStatusFetcher } from '../../server/crawl/index.js';

const id = (n: number): string => n.toString(16).padStart(40, '0');
const PROC = { rssBytes: 1, heapUsedBytes: 1, cpuSeconds: 0, eventLoopLagMs: 0 };

function statusDoc(n: number, endpoint = `http://127.0.0.1:${9000 + n}`): Status {
  const agent = createAgent({
    nodeId: id(n),
    endpoint,
    version: 't',
    view: () => ({ left: [], right: [], connections: [] }),
    processStats: () => PROC,
  });
  return agent.status();
}

interface Hostile {
  base: string;
  hits: number;
  connections: number;
  headers: IncomingMessage['headers'][];
}

const servers: (() => Promise<void>)[] = [];
const fetcher = createStatusFetcher({ timeoutMs: 1000, backoffBaseMs: 5 }, { clock: systemClock() });

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Hostile> {
  const state: Hostile = { base: '', hits: 0, connections: 0, headers: [] };
  const listener: RequestListener = (req, res) => {
    state.hits++;
    state.headers.push(req.headers);
    handler(req, res);
  };
  const server = createServer(listener);
  server.on('connection', () => state.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return state;
}

const json =
  (body: unknown, status = 200, type = 'application/json; charset=utf-8') =>
  (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
  };

function failed(v: Visit): Extract<Visit, { ok: false }> {
  assert.equal(v.ok, false, `expected a failed visit, got ${JSON.stringify(v).slice(0, 200)}`);
  return v;
}

let agent: Agent;
let agentBase = '';
before(async () => {
  agent = createAgent({
    nodeId: id(7),
    endpoint: 'http://127.0.0.1:1',
    version: '1',
    view: () => ({ left: [], right: [], connections: [] }),
    processStats: () => PROC,
  });
  const handle = await agent.listen();
  agentBase = `http://127.0.0.1:${handle.port}`;
  servers.push(() => handle.close());
});

after(async () => {
  agent.close();
  await fetcher.close();
  await Promise.all(servers.map((close) => close()));
});

void test('a real agent is visited: ok, validated, one attempt', async () => {
  const v = await fetcher.fetch(`${agentBase.toUpperCase()}/`, { expectedId: id(7) });
  assert.equal(v.ok, true);
  assert.equal(v.endpoint, agentBase);
  assert.equal(v.expectedId, id(7));
  assert.equal(v.attempts, 1);
  assert.ok(v.durationMs >= 0);
  assert.equal(v.status?.nodeId, id(7));
});

void test('every visit uses its own connection and asks for it to be closed', async () => {
  const s = await serve(json(statusDoc(1)));
  for (let i = 0; i < 3; i++) assert.equal((await fetcher.fetch(s.base)).ok, true);
  assert.equal(s.hits, 3);
  assert.equal(s.connections, 3);
  for (const h of s.headers) assert.equal(h.connection, 'close');
});

void test('a closed port is refused and not retried', async () => {
  const s = await serve(() => undefined);
  await servers.pop()?.();
  const v = failed(await fetcher.fetch(s.base));
  assert.equal(v.error, 'refused');
  assert.equal(v.attempts, 1);
  assert.match(v.detail, /ECONNREFUSED/);
});

void test('non-200 answers are http_status with the code, never retried', async () => {
  for (const code of [500, 404, 503]) {
    const s = await serve(json({ error: { code: 'x', message: 'secret-body-text' } }, code));
    const v = failed(await fetcher.fetch(s.base));
    assert.equal(v.error, 'http_status');
    assert.equal(v.httpStatus, code);
    assert.equal(s.hits, 1);
    assert.doesNotMatch(v.detail, /secret/);
  }
});

void test('a redirect is reported, never followed', async () => {
  const target = await serve(json(statusDoc(2)));
  const s = await serve((_req, res) => {
    res.writeHead(302, { location: `${target.base}/v1/status` });
    res.end();
  });
  const v = failed(await fetcher.fetch(s.base));
  assert.equal(v.error, 'redirect');
  assert.equal(v.httpStatus, 302);
  assert.equal(target.hits, 0);
});

void test('bodies that are not JSON, or not labelled JSON, are bad_json without echoing the body', async () => {
  const cases = [
    json('{"schema":1, secret-body-text'),
    json(statusDoc(3), 200, 'text/html'),
    (_req: IncomingMessage, res: ServerResponse) => res.end(JSON.stringify(statusDoc(3))), // no content type
    json(Buffer.from([0x22, 0xff, 0xfe, 0x22]), 200, 'application/json; charset=latin1'), // not UTF-8
  ];
  for (const handler of cases) {
    const s = await serve(handler);
    const v = failed(await fetcher.fetch(s.base));
    assert.equal(v.error, 'bad_json', v.detail);
    assert.doesNotMatch(v.detail, /secret/);
    assert.equal(s.hits, 1);
  }
  const ok = await serve(json(statusDoc(3), 200, 'application/vnd.ringwatch+json'));
  assert.equal((await fetcher.fetch(ok.base)).ok, true);
});

void test('documents that break the schema are classified with the first bad path', async () => {
  const good = statusDoc(4);
  const cases: [unknown, RegExp][] = [
    [{ hello: 'world' }, /^schema: /],
    [{ ...good, queue: { depth: -1 } }, /^queue\.depth: /],
    [JSON.stringify(good).replace('"cpuSeconds":0', '"cpuSeconds":1e400'), /^process\.cpuSeconds: /],
    [{ ...good, traffic: { ...good.traffic, bytesIn: 2 ** 53 } }, /^traffic\.bytesIn: /],
    [{ ...good, connections: [{ peerId: id(1), endpoint: 'http://a:1', kind: 'x' }] }, /^connections\.0\./],
    [{ ...good, nodeId: id(0xabcdef).toUpperCase() }, /^nodeId: node ID must be 40 lowercase hex/],
    [{ ...good, nodeId: id(0xabcdef).slice(1) }, /^nodeId: /],
    [{ ...good, schema: 2 }, /^schema: /],
    [[1, 2, 3], /^\(root\): /],
  ];
  for (const [body, detail] of cases) {
    const s = await serve(json(body));
    const v = failed(await fetcher.fetch(s.base));
    assert.equal(v.error, 'schema');
    assert.match(v.detail, detail);
    assert.ok(v.detail.length <= 200);
    assert.equal(v.status, undefined);
  }
});

void test('a node that lies about its ID is id_mismatch and keeps the answered status', async () => {
  const s = await serve(json(statusDoc(5)));
  const v = failed(await fetcher.fetch(s.base, { expectedId: id(6) }));
  assert.equal(v.error, 'id_mismatch');
  assert.equal(v.expectedId, id(6));
  assert.equal(v.status?.nodeId, id(5));
  assert.equal((await fetcher.fetch(s.base)).ok, true, 'no expected ID: nothing to compare');
});

void test('endpoints outside the allow-list are classified without any connection attempt', async () => {
  const seen: unknown[] = [];
  const spy = (m: unknown): void => void seen.push(m);
  const channels = ['undici:request:create', 'undici:client:beforeConnect', 'undici:client:connectError'];
  for (const c of channels) subscribe(c, spy);
  const asked: string[] = [];
  const isolated = createStatusFetcher(
    {
      allow: (url) => {
        asked.push(url.href);
        return createAllowList(['127.0.0.0/8'])(url);
      },
    },
    { clock: systemClock() },
  );
  try {
    for (const target of [
      'http://10.1.2.3:8080',
      'http://169.254.169.254',
      'http://example.com',
      'http://[::ffff:a01:203]:1',
    ]) {
      const v = failed(await isolated.fetch(target));
      assert.equal(v.error, 'not_allowed');
      assert.equal(v.attempts, 0);
    }
    for (const bad of ['ftp://127.0.0.1/x', 'not a url', 'http://user:pw@127.0.0.1:1']) {
      const v = failed(await isolated.fetch(bad));
      assert.equal(v.error, 'not_allowed');
    }
    assert.equal(asked.length, 4, 'the allow function is consulted once per parsed endpoint');
    assert.deepEqual(seen, [], 'no request was created and no connection attempted');
    assert.equal((await isolated.fetch(agentBase)).ok, true);
    assert.ok(seen.length >= 2, 'control: the channels do report an allowed visit');
  } finally {
    for (const c of channels) unsubscribe(c, spy);
    await isolated.close();
  }
  const defaults = createStatusFetcher({}, { clock: systemClock() });
  try {
    assert.equal(failed(await defaults.fetch('http://10.1.2.3:8080')).error, 'not_allowed');
    assert.equal((await defaults.fetch(agentBase.replace('127.0.0.1', 'localhost'))).ok, true);
  } finally {
    await defaults.close();
  }
});

void test('duration and start time come from the injected clock', async () => {
  let t = 1_000;
  const real = systemClock();
  const stepping: Clock = {
    now: () => (t += 5),
    setTimeout: (fn, ms) => real.setTimeout(fn, ms),
    clearTimeout: (h) => real.clearTimeout(h),
  };
  const f = createStatusFetcher({}, { clock: stepping });
  try {
    const v = await f.fetch(agentBase);
    assert.equal(v.ok, true);
    assert.equal(v.startedAt, 1_005);
    assert.equal(v.durationMs, t - 1_005);
  } finally {
    await f.close();
  }
  assert.equal(failed(await f.fetch(agentBase)).error, 'protocol', 'fetches after close fail');
});

void test('options are validated', () => {
  const clock = systemClock();
  assert.throws(() => createStatusFetcher({ timeoutMs: 0 }, { clock }), /timeoutMs/);
  assert.throws(() => createStatusFetcher({ retries: -1 }, { clock }), /retries/);
  assert.throws(() => createStatusFetcher({ maxBytes: Number.NaN }, { clock }), /maxBytes/);
});
