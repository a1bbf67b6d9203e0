/** The crawler over a ring of real agents on loopback: parallel BFS, known endpoints, ring walk, caps. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgent } from '../../node-agent/index.js';
import type { Agent, AgentView, Connection } from '../../node-agent/index.js';
import { systemClock } from '../../server/core/clock.js';
import type { CrawlProgress, Visit } from '../../server/core/model.js';
import { createAllowList, createCrawler, createStatusFetcher } from '../../server/crawl/index.js';
import type { StatusFetcher } from '../../server/crawl/index.js';

const N = 20;
const PROC = { rssBytes: 1, heapUsedBytes: 1, cpuSeconds: 0, eventLoopLagMs: 0 };
/** Spread-out, ascending IDs: node i sits at position i of the ring. */
const id = (i: number): string =>
  ((BigInt(i) + 1n) * 0x0123456789abcdef0123456789abn).toString(16).padStart(40, '0');

interface Node {
  agent: Agent;
  server: Server;
  endpoint: string;
  hits: number;
  view: () => AgentView;
}

const clock = systemClock();
const nodes: Node[] = [];
const fetcher = createStatusFetcher({ timeoutMs: 2000, retries: 0 }, { clock });
let peakInFlight = 0;
let inFlight = 0;

async function listen(): Promise<{ server: Server; endpoint: string }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Adds a node whose agent answers on its own port with `view` (default: its place in the ring). */
async function addNode(
  nodeId: string,
  view?: (self: number) => AgentView,
  endpointOverride?: string,
): Promise<Node> {
  const { server, endpoint } = await listen();
  const index = nodes.length;
  const node: Node = {
    agent: createAgent({
      nodeId,
      endpoint: endpointOverride ?? endpoint,
      version: 'test',
      view: () => node.view(),
      processStats: () => PROC,
    }),
    server,
    endpoint,
    hits: 0,
    view: () => (view ?? ringView)(index),
  };
  server.on('request', (req, res) => {
    node.hits++;
    peakInFlight = Math.max(peakInFlight, ++inFlight);
    res.on('close', () => inFlight--);
    node.agent.requestListener(req, res);
  });
  nodes.push(node);
  return node;
}

const at = (i: number): Node => nodes[((i % N) + N) % N]!;
const neighbour = (i: number) => ({ id: id(((i % N) + N) % N), endpoint: at(i).endpoint });
function ringView(i: number): AgentView {
  const near = (j: number): Connection => ({
    peerId: neighbour(j).id,
    endpoint: neighbour(j).endpoint,
    kind: j === i + N / 2 ? 'shortcut' : 'near',
    rttMs: 1,
    ageSeconds: 1,
    bytesIn: 0,
    bytesOut: 0,
  });
  return {
    left: [neighbour(i - 1), neighbour(i - 2)],
    right: [neighbour(i + 1), neighbour(i + 2)],
    connections: [i - 1, i - 2, i + 1, i + 2, i + N / 2].map(near),
  };
}

before(async () => {
  for (let i = 0; i < N; i++) await addNode(id(i));
});

after(async () => {
  await fetcher.close();
  for (const n of nodes) {
    n.agent.close();
    n.server.closeAllConnections();
  }
  await Promise.all(nodes.map((n) => new Promise((r) => n.server.close(r))));
});

const resetCounts = (): void => {
  for (const n of nodes) n.hits = 0;
  peakInFlight = 0;
};
const ringHits = (): number[] => nodes.slice(0, N).map((n) => n.hits);

void test('parallel: the whole ring from one seed, every node visited exactly once', async () => {
  resetCounts();
  const events: CrawlProgress[] = [];
  const crawler = createCrawler({ fetcher, clock }, { concurrency: 8 });
  const r = await crawler.crawl({
    seeds: [`${at(5).endpoint}/`],
    strategy: 'parallel',
    onProgress: (p) => events.push(p),
  });
  assert.equal(r.state, 'succeeded');
  assert.equal(r.strategy, 'parallel');
  assert.deepEqual(r.seeds, [at(5).endpoint]);
  assert.equal(r.visits.length, N);
  assert.ok(r.visits.every((v) => v.ok));
  assert.deepEqual(ringHits(), Array<number>(N).fill(1));
  assert.equal(new Set(r.visits.map((v) => v.endpoint)).size, N);
  const byEndpoint = new Map(r.visits.map((v) => [v.endpoint, v]));
  assert.equal(byEndpoint.get(at(6).endpoint)?.expectedId, id(6), 'expected ID claimed by the referrer');
  assert.deepEqual(events.at(-1), { visited: N, queued: 0, inFlight: 0, ok: N, failed: 0 });
  assert.ok(r.finishedAt >= r.startedAt);
});

void test('parallel: known endpoints from the last crawl are visited and their IDs expected', async () => {
  resetCounts();
  const crawler = createCrawler({ fetcher, clock });
  const first = await crawler.crawl({ seeds: [at(0).endpoint], strategy: 'parallel' });
  const known = first.visits.flatMap((v) =>
    v.status ? [{ endpoint: v.endpoint, nodeId: v.status.nodeId }] : [],
  );
  at(3).agent.setNodeId(id(999)); // node 3 restarted with another ID; its neighbours still claim the old one
  try {
    resetCounts();
    const second = await crawler.crawl({ seeds: [], known, strategy: 'parallel' });
    assert.equal(second.state, 'succeeded');
    assert.equal(second.visits.length, N);
    assert.deepEqual(ringHits(), Array<number>(N).fill(1));
    const v3 = second.visits.find((v) => v.endpoint === at(3).endpoint)!;
    assert.equal(v3.ok, false);
    assert.equal(!v3.ok && v3.error, 'id_mismatch');
    assert.equal(v3.expectedId, id(3));
    assert.ok(second.visits.filter((v) => v !== v3).every((v) => v.ok));
  } finally {
    at(3).agent.setNodeId(id(3));
  }
});

void test('ring-walk: follows R1 one node at a time, in ring order, back to the start', async () => {
  resetCounts();
  const crawler = createCrawler({ fetcher, clock });
  const r = await crawler.crawl({ seeds: [at(7).endpoint], strategy: 'ring-walk' });
  assert.equal(r.state, 'succeeded');
  assert.equal(r.strategy, 'ring-walk');
  const order = r.visits.map((v) => v.status?.nodeId);
  assert.deepEqual(
    order,
    Array.from({ length: N }, (_, k) => id((7 + k) % N)),
  );
  assert.deepEqual(ringHits(), Array<number>(N).fill(1));
  assert.equal(peakInFlight, 1, 'sequential');
});

void test('ring-walk: stops at a dead end and respects maxNodes', async () => {
  const crawler = createCrawler({ fetcher, clock }, { maxNodes: 5 });
  const r = await crawler.crawl({ seeds: [at(0).endpoint], strategy: 'ring-walk' });
  assert.equal(r.visits.length, 5);
  const dead = createStatusFetcher(
    { allow: (u) => u.port !== new URL(at(4).endpoint).port, retries: 0 },
    { clock },
  );
  try {
    const walk = await createCrawler({ fetcher: dead, clock }).crawl({
      seeds: [at(1).endpoint],
      strategy: 'ring-walk',
    });
    assert.equal(walk.state, 'succeeded');
    assert.deepEqual(
      walk.visits.map((v) => (v.ok ? 'ok' : v.error)),
      ['ok', 'ok', 'ok', 'not_allowed'],
    );
  } finally {
    await dead.close();
  }
});

void test('aliases are not counted twice; two nodes with one ID are both kept', async () => {
  const twin = await addNode(id(4), () => ({ left: [], right: [], connections: [] }));
  const crawler = createCrawler({ fetcher, clock });
  const localhost = at(2).endpoint.replace('127.0.0.1', 'localhost');
  const r = await crawler.crawl({ seeds: [at(0).endpoint, localhost, twin.endpoint], strategy: 'parallel' });
  assert.equal(r.state, 'succeeded');
  // Which of the two URLs counts as the node depends on which answered first; the other is the alias.
  assert.deepEqual(
    r.aliases?.map((a) => a.nodeId),
    [id(2)],
  );
  const twos = r.visits.filter((v) => v.status?.nodeId === id(2)).map((v) => v.endpoint);
  assert.equal(twos.length, 1);
  assert.deepEqual([twos[0], r.aliases?.[0]?.endpoint].sort(), [at(2).endpoint, localhost].sort());
  const fours = r.visits.filter((v) => v.status?.nodeId === id(4)).map((v) => v.status?.endpoint);
  assert.deepEqual(fours.sort(), [at(4).endpoint, twin.endpoint].sort(), 'duplicate-ID evidence kept');
});

void test('amplification: 4096 claimed connections cannot push the crawl past maxNodes', async () => {
  const huge = (): AgentView => ({
    left: [],
    right: [neighbour(0)],
    connections: Array.from({ length: 4096 }, (_, k) => ({
      peerId: id(10_000 + k),
      endpoint: `http://10.${k >> 8}.${k & 255}.1:7946`,
      kind: 'shortcut' as const,
      rttMs: 1,
      ageSeconds: 1,
      bytesIn: 0,
      bytesOut: 0,
    })),
  });
  const hub = await addNode(id(77), huge);
  const guarded = createStatusFetcher({ allow: createAllowList(['127.0.0.0/8']) }, { clock });
  try {
    const small = await createCrawler({ fetcher: guarded, clock }, { maxNodes: 50 }).crawl({
      seeds: [hub.endpoint],
      strategy: 'parallel',
    });
    assert.equal(small.visits.length, 50);
    const wide = await createCrawler({ fetcher: guarded, clock }, { maxNodes: 100_000 }).crawl({
      seeds: [hub.endpoint],
      strategy: 'parallel',
    });
    const outside = wide.visits.filter((v) => !v.ok && v.error === 'not_allowed').length;
    assert.equal(outside, 256, 'only maxConnectionsPerNode (256) of the 4096 are followed');
    assert.equal(wide.visits.length, 1 + N + 256);
  } finally {
    await guarded.close();
  }
});

void test('abort mid-crawl (both strategies): state aborted, visits so far kept', async () => {
  for (const strategy of ['parallel', 'ring-walk'] as const) {
    const ac = new AbortController();
    let calls = 0;
    const counting: StatusFetcher = {
      fetch: (endpoint, o) => {
        if (++calls === 6) ac.abort(new Error('operator stop'));
        return fetcher.fetch(endpoint, o);
      },
      close: () => Promise.resolve(),
    };
    const crawler = createCrawler({ fetcher: counting, clock }, { concurrency: 2 });
    const r = await crawler.crawl({ seeds: [at(0).endpoint], strategy, signal: ac.signal });
    assert.equal(r.state, 'aborted');
    assert.match(r.reason ?? '', /operator stop/);
    const want = strategy === 'parallel' ? [4, 5] : [5, 5];
    assert.ok(r.visits.length >= want[0]! && r.visits.length <= want[1]!, `${strategy}: ${r.visits.length}`);
  }
});

void test('failed when no visit succeeds, with a reason; invalid options throw', async () => {
  const crawler = createCrawler({ fetcher, clock });
  const r = await crawler.crawl({ seeds: ['http://10.9.9.9:1', 'not a url'], strategy: 'parallel' });
  assert.equal(r.state, 'failed');
  assert.match(r.reason ?? '', /not_allowed ×1/);
  assert.equal(r.visits.length, 1);
  const none = await crawler.crawl({ seeds: [], strategy: 'ring-walk' });
  assert.deepEqual(
    [none.state, none.reason, none.visits],
    ['failed', 'no usable seed or known endpoint', []],
  );
  assert.throws(() => createCrawler({ fetcher, clock }, { concurrency: 0 }), /concurrency/);
  assert.throws(() => createCrawler({ fetcher, clock }, { maxNodes: 2_000_000 }), /maxNodes/);
  const visits: Visit[] = r.visits;
  assert.ok(visits.every((v) => !v.ok && v.detail.length <= 200));
});
