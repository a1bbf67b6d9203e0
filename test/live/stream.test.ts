/**
 * End to end: the real pipeline over a simulated ring publishes into the hub, clients on socket.io get
 * the crawl's events in order, small deltas, and catch up after a reconnect by replay or by one combined
 * delta from the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deltaSize, type CrawlFinishedPayload, type WireDelta } from '../../server/live/index.js';
import {
  applyDelta,
  client,
  connected,
  fakeAuth,
  ringFixture,
  sleep,
  startLive,
  stateOf,
  type Received,
} from './helpers.js';

const finishedOf = (e: Received) => e.payload as unknown as CrawlFinishedPayload;

test('a crawl arrives in order: started, progress…, finished, with consecutive seq', async (t) => {
  const ring = await ringFixture(t, 30, 21);
  const live = await startLive(t, { store: ring.open.store, auth: fakeAuth() }, { progressIntervalMs: 20 });
  ring.target.hub = live.hub;
  const c = client(t, live.url, { token: 'good-token' });
  await connected(c);
  const ack = await c.subscribe();
  assert.deepEqual(ack, { mode: 'reset', latestCrawlId: null, seq: 0 });

  const summary = await ring.crawl();
  const fin = await c.waitFor((e) => e.name === 'crawl:finished');
  const upTo = c.events.indexOf(fin);
  const crawlEvents = c.events.slice(0, upTo + 1);
  const names = crawlEvents.map((e) => e.name);
  assert.equal(names[0], 'crawl:started');
  assert.equal(names.at(-1), 'crawl:finished');
  assert.ok(names.slice(1, -1).length >= 1, names.join());
  assert.ok(
    names.slice(1, -1).every((n) => n === 'crawl:progress'),
    names.join(),
  );
  assert.deepEqual(
    crawlEvents.map((e) => e.payload.seq),
    crawlEvents.map((_, i) => ack.seq + 1 + i),
  );
  for (const e of crawlEvents) assert.equal(e.payload.crawlId, summary.crawlId);
  const lastProgress = crawlEvents.at(-2)!.payload;
  assert.equal(lastProgress.visited, summary.discovered, 'the final progress is always sent');
  assert.equal(lastProgress.inFlight, 0);

  const { delta } = finishedOf(fin);
  assert.deepEqual(finishedOf(fin).summary, summary);
  assert.equal(delta?.fromCrawlId, null);
  assert.equal(delta?.toCrawlId, summary.crawlId);
  assert.equal(delta?.nodes.added.length, 30);
  const stats = live.hub.stats();
  assert.equal(stats.clients, 1);
  assert.ok(stats.sent >= crawlEvents.length);
});

test('a stale neighbor shows up as a small delta: the node changed state, not the whole ring', async (t) => {
  const ring = await ringFixture(t, 30, 22);
  const live = await startLive(t, { store: ring.open.store, auth: fakeAuth() });
  ring.target.hub = live.hub;
  const first = await ring.crawl();
  assert.equal(first.consistency, 1);
  const c = client(t, live.url, { token: 'good-token' });
  await connected(c);
  const ack = await c.subscribe(first.crawlId);
  assert.equal(ack.mode, 'replay');
  assert.equal('latestCrawlId' in ack && ack.latestCrawlId, first.crawlId);

  const fault = await ring.inject({ kind: 'stale-neighbor', node: 4, side: 'right', peer: 17 });
  const node = fault.targetIds[0]!;
  await sleep(300);
  const s = await ring.crawl();
  const fin = finishedOf(await c.waitFor((e) => e.name === 'crawl:finished'));
  const delta = fin.delta!;
  assert.equal(delta.fromCrawlId, first.crawlId);
  assert.equal(delta.toCrawlId, s.crawlId);
  assert.deepEqual(
    delta.nodes.changed.find((ch) => ch.key === node),
    { key: node, from: 'ok', to: 'inconsistent' },
  );
  assert.deepEqual(delta.nodes.added, []);
  assert.deepEqual(delta.nodes.removed, []);
  const topo = (await ring.open.store.topologyAt(s.crawlId))!;
  const ringSize = topo.nodes.length + topo.edges.length;
  assert.ok(deltaSize(delta) * 10 < ringSize, `delta ${deltaSize(delta)} vs ring ${ringSize}`);
  assert.ok(delta.findings!.opened.some((f) => f.nodeId === node && f.kind === 'wrong_neighbor'));

  const news = await c.waitFor((e) => e.name === 'findings:new');
  assert.equal(news.payload.crawlId, s.crawlId);
  assert.deepEqual(news.payload.findings, delta.findings!.opened);
  assert.equal(news.payload.seq, fin.seq + 1);
});

test('reconnect with sinceCrawlId: missed crawls are replayed in order, then live events continue', async (t) => {
  const ring = await ringFixture(t, 30, 23);
  const live = await startLive(t, { store: ring.open.store, auth: fakeAuth() });
  ring.target.hub = live.hub;
  const a = client(t, live.url, { token: 'good-token' });
  await connected(a);
  await a.subscribe();
  const c1 = await ring.crawl();
  await a.waitFor((e) => e.name === 'crawl:finished' && e.payload.crawlId === c1.crawlId);
  a.close();

  await ring.inject({ kind: 'stale-neighbor', node: 6, side: 'right', peer: 19 });
  await sleep(300);
  const c2 = await ring.crawl();
  const c3 = await ring.crawl();

  const b = client(t, live.url, { token: 'good-token' });
  await connected(b);
  const ack = await b.subscribe(c1.crawlId);
  const atAck = b.events.length;
  assert.equal(ack.mode, 'replay');
  assert.equal('latestCrawlId' in ack && ack.latestCrawlId, c3.crawlId);
  const replayed = b.events.slice(0, atAck);
  assert.deepEqual(
    replayed.map((e) => [e.name, e.payload.crawlId, e.payload.replayed]),
    [
      ['crawl:finished', c2.crawlId, true],
      ['crawl:finished', c3.crawlId, true],
    ],
    'the replay arrives before the ack',
  );
  // Applied to the topology of c1, the replayed deltas give exactly the topology of c3.
  const state = stateOf((await ring.open.store.topologyAt(c1.crawlId))!);
  for (const e of replayed) applyDelta(state, finishedOf(e).delta!);
  assert.deepEqual(state, stateOf((await ring.open.store.topologyAt(c3.crawlId))!));

  const c4 = await ring.crawl();
  const started = await b.waitFor((e) => e.name === 'crawl:started', { from: atAck });
  assert.equal(started.payload.crawlId, c4.crawlId);
  assert.equal(started.payload.seq, 'seq' in ack ? ack.seq + 1 : -1);
  assert.equal(started.payload.replayed, undefined);
});

test('after a hub restart (empty buffer) a client gets one combined delta from the store', async (t) => {
  const ring = await ringFixture(t, 30, 24);
  const auth = fakeAuth();
  const first = await startLive(t, { store: ring.open.store, auth });
  ring.target.hub = first.hub;
  const c1 = await ring.crawl();
  const fault = await ring.inject({ kind: 'stale-neighbor', node: 3, side: 'right', peer: 15 });
  await sleep(300);
  await ring.crawl();
  const c3 = await ring.crawl();
  await first.close();

  const second = await startLive(t, { store: ring.open.store, auth });
  ring.target.hub = second.hub;
  const b = client(t, second.url, { token: 'good-token' });
  await connected(b);
  const ack = await b.subscribe(c1.crawlId);
  assert.equal(ack.mode, 'delta');
  assert.equal('latestCrawlId' in ack && ack.latestCrawlId, c3.crawlId);
  assert.deepEqual(
    b.events.map((e) => e.name),
    ['crawl:delta'],
  );
  const delta = b.events[0]!.payload.delta as WireDelta;
  assert.equal(delta.fromCrawlId, c1.crawlId);
  assert.equal(delta.toCrawlId, c3.crawlId);
  assert.deepEqual(
    delta.nodes.changed.find((ch) => ch.key === fault.targetIds[0]),
    { key: fault.targetIds[0], from: 'ok', to: 'inconsistent' },
  );
  const state = stateOf((await ring.open.store.topologyAt(c1.crawlId))!);
  applyDelta(state, delta);
  assert.deepEqual(state, stateOf((await ring.open.store.topologyAt(c3.crawlId))!));

  // Unknown or future crawls, and no sinceCrawlId at all, mean: reload over REST.
  assert.deepEqual(await b.subscribe(c3.crawlId + 100), { mode: 'reset', latestCrawlId: c3.crawlId, seq: 0 });
  assert.deepEqual(await b.subscribe(), { mode: 'reset', latestCrawlId: c3.crawlId, seq: 0 });
  // After the first crawl this hub sees, replay works again.
  const c4 = await ring.crawl();
  await b.waitFor((e) => e.name === 'crawl:finished');
  const again = client(t, second.url, { token: 'good-token' });
  await connected(again);
  const ack2 = await again.subscribe(c3.crawlId);
  assert.equal(ack2.mode, 'replay');
  assert.deepEqual(
    again.events.map((e) => [e.name, e.payload.crawlId]),
    [['crawl:finished', c4.crawlId]],
  );
});
