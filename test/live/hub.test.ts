/**
 * The hub with synthetic pipeline events on a manual clock: progress throttling, which signals count as
 * changed, alerts and log pulls, subscribe validation; and the pure parts (replay buffer, topology diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../server/core/clock.js';
import type { CrawlProgress } from '../../server/core/model.js';
import type { Signal } from '../../server/detect/index.js';
import { createFinishedBuffer } from '../../server/live/buffer.js';
import { diffTopologies, type CrawlFinishedPayload } from '../../server/live/index.js';
import { summarize, type PipelineEvent } from '../../server/pipeline/crawl-pipeline.js';
import type { CrawlRecord, Topology } from '../../server/store/index.js';
import { client, connected, emptyStore, fakeAuth, startLive } from './helpers.js';

const progress = (visited: number): PipelineEvent => ({
  type: 'crawl_progress',
  crawlId: 7,
  progress: { visited, queued: 10 - visited, inFlight: 1, ok: visited, failed: 0 },
});

function finished(crawlId: number, signals: Signal[], state: 'succeeded' | 'failed' = 'succeeded') {
  const result = { strategy: 'parallel' as const, state, startedAt: 0, finishedAt: 1, seeds: [], visits: [] };
  const summary = summarize(crawlId, result, null, signals, { crawl: 1, analyze: 0, persist: 0 });
  return { type: 'crawl_finished', summary, delta: null, signals } satisfies PipelineEvent;
}

const signal = (nodeId: string, active: boolean): Signal => ({
  detector: 'node_loss',
  kind: 'node_lost',
  nodeId,
  active,
  since: 0,
  detail: `${nodeId} lost`,
});

test('progress: at most one per interval, the newest wins, the final one always before finished', async (t) => {
  const clock = manualClock();
  const live = await startLive(
    t,
    { store: await emptyStore(t, clock), auth: fakeAuth(), clock },
    { progressIntervalMs: 250 },
  );
  const c = client(t, live.url, { token: 'good-token' });
  await connected(c);
  await c.subscribe();
  live.hub.publish({ type: 'crawl_started', crawlId: 7, strategy: 'parallel', startedAt: clock.now() });
  live.hub.publish(progress(1)); // sent at once
  live.hub.publish(progress(2));
  live.hub.publish(progress(3)); // kept, replaces 2
  clock.advance(249);
  live.hub.publish(progress(4));
  clock.advance(1); // interval over: 4 is sent
  live.hub.publish(progress(5));
  live.hub.publish(progress(6)); // kept until the crawl finishes
  live.hub.publish(finished(7, []));
  await c.waitFor((e) => e.name === 'crawl:finished');
  assert.deepEqual(
    c.events.map((e) => [e.name, e.payload.seq, e.payload.visited]),
    [
      ['crawl:started', 1, undefined],
      ['crawl:progress', 2, 1],
      ['crawl:progress', 3, 4],
      ['crawl:progress', 4, 6],
      ['crawl:finished', 5, undefined],
    ],
  );
  const p = c.events[3]!.payload as unknown as CrawlProgress & { crawlId: number };
  assert.deepEqual({ ...p }, { seq: 4, crawlId: 7, visited: 6, queued: 4, inFlight: 1, ok: 6, failed: 0 });
  assert.equal(clock.pending(), 1, 'only the auth recheck timer is left');
});

test('signals: only newly active and cleared ones are sent; failed crawls change nothing', async (t) => {
  const clock = manualClock();
  const live = await startLive(t, { store: await emptyStore(t, clock), auth: fakeAuth(), clock });
  const c = client(t, live.url, { token: 'good-token' });
  await connected(c);
  await c.subscribe();
  live.hub.publish(finished(1, [signal('a', true)]));
  live.hub.publish(finished(2, [signal('a', true), signal('b', true)]));
  live.hub.publish(finished(3, [], 'failed'));
  live.hub.publish(finished(4, [signal('a', false), signal('b', true)]));
  live.hub.publish(finished(5, [signal('b', true)]));
  await c.waitFor((e) => e.name === 'crawl:finished' && e.payload.crawlId === 5);
  assert.deepEqual(
    c.events
      .filter((e) => e.name === 'signals')
      .map((e) => [e.payload.crawlId, (e.payload.changed as Signal[]).map((s) => [s.nodeId, s.active])]),
    [
      [1, [['a', true]]],
      [2, [['b', true]]],
      [4, [['a', false]]],
    ],
  );
  const finishedCrawls = c.events.filter((e) => e.name === 'crawl:finished');
  assert.deepEqual(
    finishedCrawls.map((e) => [e.payload.crawlId, e.payload.delta]),
    [1, 2, 3, 4, 5].map((id) => [id, null]),
  );
  const seqs = c.events.map((e) => e.payload.seq);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
  );
});

test('alerts and log pulls are validated and sent with seq; bad subscribe payloads get an error ack', async (t) => {
  const clock = manualClock();
  const live = await startLive(t, { store: await emptyStore(t, clock), auth: fakeAuth(), clock });
  const c = client(t, live.url, { token: 'good-token' });
  await connected(c);
  const bad = (await c.socket.timeout(5000).emitWithAck('subscribe', { sinceCrawlId: 'x' })) as {
    mode: string;
    error: { code: string };
  };
  assert.equal(bad.mode, 'error');
  assert.equal(bad.error.code, 'bad_request');
  // A subscribe without a payload, ack only.
  assert.deepEqual(await c.socket.timeout(5000).emitWithAck('subscribe'), {
    mode: 'reset',
    latestCrawlId: null,
    seq: 0,
  });
  live.hub.publishAlert({
    type: 'alert_changed',
    alert: { fingerprint: 'f', name: 'n', state: 'bogus', labels: {}, startsAt: 0, endsAt: null },
  } as never);
  const pull = { nodeKey: 'ab'.repeat(20), pullId: 'p1', requestedBy: 'alice', lines: 10, bytes: 900, at: 5 };
  live.hub.publishLogPull(pull);
  const got = await c.waitFor((e) => e.name === 'logs:pulled');
  assert.deepEqual(got.payload, { ...pull, seq: 1 }, 'the invalid alert was dropped without a seq');
  assert.equal(live.hub.stats().sent, 1);
});

const fin = (crawlId: number, from: number | null | 'failed'): CrawlFinishedPayload => ({
  seq: crawlId,
  crawlId,
  summary: finished(crawlId, []).summary,
  delta:
    from === 'failed'
      ? null
      : {
          fromCrawlId: from,
          toCrawlId: crawlId,
          nodes: { added: [], removed: [], changed: [] },
          edges: { added: [], removed: [] },
        },
});

test('replay buffer: complete history only, failed crawls do not break it', () => {
  const b = createFinishedBuffer(2);
  b.push(fin(1, 'failed'));
  assert.equal(b.replayFrom(0), null, 'nothing recorded seen yet: unknown');
  b.push(fin(2, null));
  assert.deepEqual(
    b.replayFrom(0)?.map((p) => p.crawlId),
    [1, 2],
  );
  b.push(fin(3, 'failed'));
  b.push(fin(4, 2));
  assert.equal(b.replayFrom(1), null, 'crawl 2 was evicted: from 1 is too old');
  assert.deepEqual(
    b.replayFrom(2)?.map((p) => p.crawlId),
    [3, 4],
  );
  assert.deepEqual(
    b.replayFrom(3)?.map((p) => p.crawlId),
    [4],
  );
  assert.deepEqual(b.replayFrom(4), []);
  assert.equal(b.replayFrom(5), null, 'a client ahead of the hub is not replayed to');
  assert.deepEqual(
    b.after(2).map((p) => p.crawlId),
    [3, 4],
  );
  assert.equal(b.latest(), 4);
});

test('diffTopologies: nodes added, removed and changed; edges by (from, to, kind, via)', () => {
  const crawl = (id: number) => ({ id }) as CrawlRecord;
  const node = (key: string, state: 'ok' | 'inconsistent' | 'unreachable') => ({
    key,
    nodeId: key,
    endpoint: null,
    state,
    score: null,
    ring: 0,
  });
  const from: Topology = {
    crawl: crawl(1),
    nodes: [node('a', 'ok'), node('b', 'ok'), node('c', 'ok')],
    edges: [
      { from: 'a', to: 'b', kind: 'R1' },
      { from: 'b', to: 'c', kind: 'relay', via: 'a' },
      { from: 'c', to: 'a', kind: 'R1' },
    ],
  };
  const to: Topology = {
    crawl: crawl(5),
    nodes: [node('a', 'ok'), node('b', 'inconsistent'), node('d', 'ok')],
    edges: [
      { from: 'a', to: 'b', kind: 'R1' },
      { from: 'b', to: 'c', kind: 'relay', via: 'd' },
      { from: 'd', to: 'a', kind: 'R1' },
    ],
  };
  assert.deepEqual(diffTopologies(from, to), {
    fromCrawlId: 1,
    toCrawlId: 5,
    nodes: {
      added: [node('d', 'ok')],
      removed: ['c'],
      changed: [{ key: 'b', from: 'ok', to: 'inconsistent' }],
    },
    edges: {
      added: [
        { from: 'b', to: 'c', kind: 'relay', via: 'd' },
        { from: 'd', to: 'a', kind: 'R1' },
      ],
      removed: [
        { from: 'b', to: 'c', kind: 'relay', via: 'a' },
        { from: 'c', to: 'a', kind: 'R1' },
      ],
    },
  });
});
