/**
 * The live client over a fake socket: subscribe with catch-up from the last crawl seen, typed events in
 * order, a sequence gap triggering a new subscribe, reconnect status, and a refused session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLive, type LiveSocket, type LiveStatus } from '../../web/src/live.js';
import type { SubscribeAck } from '../../web/src/types.js';

interface FakeSocket extends Omit<LiveSocket, 'active'> {
  active: boolean;
  fire(name: string, payload?: unknown): void;
  subscribes: { payload: unknown; ack: (a: SubscribeAck) => void }[];
  connects: number;
}

function fakeSocket(): FakeSocket {
  const handlers = new Map<string, ((p: unknown) => void)[]>();
  const s = {
    active: true,
    connected: false,
    connects: 0,
    subscribes: [] as FakeSocket['subscribes'],
    on(name: string, cb: (p: unknown) => void) {
      handlers.set(name, [...(handlers.get(name) ?? []), cb]);
      return s;
    },
    emit(name: string, payload: unknown, ack: (a: SubscribeAck) => void) {
      if (name === 'subscribe') s.subscribes.push({ payload, ack });
      return s;
    },
    connect() {
      s.connects++;
      return s;
    },
    disconnect() {
      return s;
    },
    fire(name: string, payload?: unknown) {
      for (const cb of handlers.get(name) ?? []) cb(payload);
    },
  };
  return s as unknown as FakeSocket;
}

const finished = (seq: number, to: number, extra: Record<string, unknown> = {}) => ({
  seq,
  crawlId: to,
  summary: { state: 'succeeded' },
  delta: {
    fromCrawlId: to - 1,
    toCrawlId: to,
    nodes: { added: [], removed: [], changed: [] },
    edges: { added: [], removed: [] },
  },
  ...extra,
});

test('subscribe, catch up, follow seq; a gap resubscribes from the last crawl seen', () => {
  const sock = fakeSocket();
  const statuses: LiveStatus[] = [];
  const errors: unknown[] = [];
  const live = createLive({ connect: () => sock, onError: (e) => errors.push(e) });
  live.onStatus((s) => statuses.push(s));
  const got: string[] = [];
  live.on('crawl:finished', (p) => got.push(`finished ${p.crawlId}${p.replayed ? ' replayed' : ''}`));
  live.on('resync', (r) => got.push(`resync ${r.mode} ${r.latestCrawlId}`));
  live.start();
  assert.equal(sock.connects, 1);
  assert.equal(live.status(), 'connecting');

  sock.fire('connect');
  assert.deepEqual(sock.subscribes[0]!.payload, {});
  sock.fire('crawl:finished', finished(10, 3)); // before the ack: not ours yet
  sock.subscribes[0]!.ack({ mode: 'reset', latestCrawlId: 3, seq: 10 });
  assert.equal(live.status(), 'live');
  assert.equal(live.crawlId(), 3);

  sock.fire('crawl:finished', finished(11, 4));
  assert.equal(live.crawlId(), 4);
  sock.fire('crawl:finished', finished(13, 6)); // seq 12 went missing
  assert.equal(sock.subscribes.length, 2);
  assert.deepEqual(sock.subscribes[1]!.payload, { sinceCrawlId: 4 });
  sock.fire('crawl:finished', finished(5, 5, { replayed: true }));
  sock.fire('crawl:finished', finished(13, 6, { replayed: true }));
  sock.subscribes[1]!.ack({ mode: 'replay', latestCrawlId: 6, seq: 13 });
  sock.fire('crawl:finished', finished(14, 7));
  assert.equal(live.crawlId(), 7);
  assert.deepEqual(got, [
    'resync reset 3',
    'finished 4',
    'finished 5 replayed',
    'finished 6 replayed',
    'resync replay 6',
    'finished 7',
  ]);

  // Lost: reconnecting, then subscribe again from crawl 7.
  sock.fire('disconnect', 'transport close');
  assert.equal(live.status(), 'reconnecting');
  sock.fire('crawl:finished', finished(15, 8)); // not subscribed: ignored
  sock.fire('connect');
  assert.deepEqual(sock.subscribes[2]!.payload, { sinceCrawlId: 7 });
  sock.subscribes[2]!.ack({ mode: 'delta', latestCrawlId: 8, seq: 20 });
  assert.equal(live.status(), 'live');
  assert.deepEqual(statuses, ['live', 'reconnecting', 'live']);

  // A throwing listener does not stop the others; unsubscribe works.
  live.on('crawl:finished', () => {
    throw new Error('boom');
  });
  const seen: number[] = [];
  const off = live.on('crawl:finished', (p) => seen.push(p.crawlId));
  sock.fire('crawl:finished', finished(21, 9));
  off();
  sock.fire('crawl:finished', finished(22, 10));
  assert.deepEqual(seen, [9]);
  assert.equal(errors.length, 2);
  live.close();
  assert.equal(live.status(), 'offline');
});

test('a refused session: onUnauthenticated, offline, no retry; failures show offline after a few', () => {
  const sock = fakeSocket();
  let told = 0;
  const live = createLive({ connect: () => sock, onUnauthenticated: () => told++, offlineAfter: 2 });
  live.start();
  sock.fire('connect_error', new Error('websocket error'));
  assert.equal(live.status(), 'connecting');
  sock.fire('connect_error', new Error('websocket error'));
  assert.equal(live.status(), 'offline');
  sock.active = false;
  sock.fire('connect_error', new Error('unauthenticated'));
  assert.equal(told, 1);
  assert.equal(live.status(), 'offline');
  live.close();
});
