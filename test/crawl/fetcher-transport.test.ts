/** Status fetcher against transport-level hostility: silence, slow bodies, resets, huge bodies, garbage. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { manualClock, systemClock } from '../../server/core/clock.js';
import type { Visit } from '../../server/core/model.js';
import { createStatusFetcher } from '../../server/crawl/index.js';

interface Raw {
  base: string;
  /** Requests seen (one per connection: the fetcher never reuses one). */
  hits: number;
  /** Bytes the server managed to hand to its socket before the client went away. */
  written: number;
  closed: Promise<void>;
}

const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c()));
});

/** A raw TCP server: `onRequest` runs once the request head has arrived. */
async function raw(onRequest: (socket: Socket, state: Raw) => void): Promise<Raw> {
  let markClosed: () => void = () => undefined;
  const state: Raw = {
    base: '',
    hits: 0,
    written: 0,
    closed: new Promise<void>((r) => (markClosed = r)),
  };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      markClosed();
    });
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      state.hits++;
      onRequest(socket, state);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return state;
}

const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n';

/**
 * Writes `chunk` every millisecond while the previous one has left the process, until `total` bytes or
 * the socket dies: a fast stream that does not just fill kernel buffers, so `written` tracks what the
 * client actually consumed.
 */
function pour(socket: Socket, state: Raw, chunk: Buffer, total: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed || state.written >= total) {
      clearInterval(timer);
      return;
    }
    if (socket.writableLength > 0) return;
    state.written += chunk.length;
    socket.write(chunk);
  }, 1);
  socket.on('close', () => clearInterval(timer));
}

function failed(v: Visit): Extract<Visit, { ok: false }> {
  assert.equal(v.ok, false, `expected a failed visit, got ${JSON.stringify(v).slice(0, 200)}`);
  return v;
}

const clock = systemClock();
const quick = createStatusFetcher({ timeoutMs: 250, retries: 0 }, { clock });
closers.push(() => quick.close());

void test('headers that never come: timeout within the budget', async () => {
  const s = await raw(() => undefined);
  const t0 = Date.now();
  const v = failed(await quick.fetch(s.base));
  assert.equal(v.error, 'timeout');
  assert.ok(Date.now() - t0 < 1000, 'the injected-clock budget fired, not the backstop');
  assert.ok(v.durationMs >= 240);
});

void test('a body that never ends (slow-loris drip) times out: the budget covers the whole body', async () => {
  const s = await raw((socket) => {
    socket.write(`${HEAD}transfer-encoding: chunked\r\n\r\n`);
    const drip = setInterval(() => (socket.destroyed ? clearInterval(drip) : socket.write('1\r\n \r\n')), 20);
  });
  const v = failed(await quick.fetch(s.base));
  assert.equal(v.error, 'timeout');
});

void test('a socket destroyed mid-answer is reset; an early close is reset too', async () => {
  const rst = await raw((socket) => socket.resetAndDestroy());
  assert.equal(failed(await quick.fetch(rst.base)).error, 'reset');
  const short = await raw((socket) => socket.end(`${HEAD}content-length: 1000\r\n\r\n{"schema":1`));
  assert.equal(failed(await quick.fetch(short.base)).error, 'reset');
  const silent = await raw((socket) => socket.end());
  assert.equal(failed(await quick.fetch(silent.base)).error, 'reset');
});

void test('malformed HTTP is protocol', async () => {
  const s = await raw((socket) => socket.end('SMTP ready\r\n\r\n'));
  const v = failed(await quick.fetch(s.base));
  assert.equal(v.error, 'protocol');
  assert.match(v.detail, /malformed HTTP/);
});

void test('a 100 MB Content-Length is refused up front, reading almost nothing', async () => {
  const s = await raw((socket, state) => {
    socket.write(`${HEAD}content-length: 104857600\r\n\r\n`);
    pour(socket, state, Buffer.alloc(65536, 0x20), 104_857_600);
  });
  const v = failed(await quick.fetch(s.base));
  assert.equal(v.error, 'too_large');
  assert.match(v.detail, /Content-Length/);
  await s.closed;
  assert.ok(s.written < 8 * 1048576, `server handed over ${s.written} bytes of 100 MB`);
});

void test('a chunked body without length is cut off just after the 1 MiB cap', async () => {
  const s = await raw((socket, state) => {
    socket.write(`${HEAD}transfer-encoding: chunked\r\n\r\n`);
    const data = Buffer.alloc(65536, 0x20);
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), data, Buffer.from('\r\n')]);
    pour(socket, state, chunk, 104_857_600);
  });
  const v = failed(await quick.fetch(s.base));
  assert.equal(v.error, 'too_large');
  await s.closed;
  assert.ok(s.written > 1048576, 'the server did get past the cap');
  assert.ok(s.written < 8 * 1048576, `server handed over ${s.written} bytes of 100 MB`);
});

void test('only transient errors are retried (timeout, reset), with backoff, counting server hits', async () => {
  const retrying = createStatusFetcher({ timeoutMs: 150, retries: 2, backoffBaseMs: 20 }, { clock });
  closers.push(() => retrying.close());
  const silent = await raw(() => undefined);
  const v1 = failed(await retrying.fetch(silent.base));
  assert.equal(v1.error, 'timeout');
  assert.equal(v1.attempts, 3);
  assert.equal(silent.hits, 3);
  assert.ok(v1.durationMs >= 3 * 150 + 10 + 20, 'budgets plus backoff (≥ b/2 each)');

  const rst = await raw((socket) => socket.resetAndDestroy());
  assert.equal(failed(await retrying.fetch(rst.base)).attempts, 3);
  assert.equal(rst.hits, 3);

  let n = 0;
  const flaky = await raw((socket) => {
    if (n++ === 0) socket.resetAndDestroy();
    else socket.end(`HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n`);
  });
  const v3 = failed(await retrying.fetch(flaky.base));
  assert.equal(v3.error, 'http_status', 'the last attempt decides');
  assert.equal(v3.attempts, 2);
  assert.equal(flaky.hits, 2);

  for (const answer of [
    'HTTP/1.1 404 No\r\ncontent-length: 0\r\n\r\n',
    `${HEAD}content-length: 2\r\n\r\n{}`,
  ]) {
    const s = await raw((socket) => socket.end(answer));
    const v = failed(await retrying.fetch(s.base));
    assert.equal(v.attempts, 1, v.error);
    assert.equal(s.hits, 1);
  }
});

void test('the budget and the backoff run on the injected clock', async () => {
  const mc = manualClock();
  const f = createStatusFetcher(
    { timeoutMs: 60_000, retries: 1, backoffBaseMs: 1000 },
    { clock: mc, random: () => 0 },
  );
  closers.push(() => f.close());
  const s = await raw(() => undefined);
  const pending = f.fetch(s.base);
  const waitHits = async (n: number): Promise<void> => {
    while (s.hits < n) await new Promise((r) => setTimeout(r, 5));
  };
  await waitHits(1);
  mc.advance(60_000); // first attempt times out
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.hits, 1, 'backoff (500 ms of the manual clock) not over yet');
  mc.advance(500);
  await waitHits(2);
  mc.advance(60_000);
  const v = failed(await pending);
  assert.equal(v.error, 'timeout');
  assert.equal(v.attempts, 2);
  assert.equal(v.durationMs, 120_500);
});

void test('aborting the signal ends a visit at once', async () => {
  const s = await raw(() => undefined);
  const ac = new AbortController();
  const f = createStatusFetcher({ timeoutMs: 30_000 }, { clock });
  closers.push(() => f.close());
  const pending = f.fetch(s.base, { signal: ac.signal });
  while (s.hits < 1) await new Promise((r) => setTimeout(r, 5));
  const t0 = Date.now();
  ac.abort();
  const v = failed(await pending);
  assert.ok(Date.now() - t0 < 500);
  assert.equal(v.attempts, 1);
  assert.match(v.detail, /aborted/);
});
