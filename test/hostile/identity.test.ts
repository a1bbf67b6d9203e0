/**
 * Identity attacks. A node that replays another node's status verbatim (its ID and its self endpoint) is
 * an id_mismatch, whatever the crawl order: its answer must neither hide the real node's later answer as
 * an "alias" (parallel) nor be dropped itself as an alias of a node already visited (ring walk). A node
 * that names an honest endpoint under a wrong ID is an open problem, kept here as a todo test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../server/core/clock.js';
import type { Visit } from '../../server/core/model.js';
import { createCrawler, createStatusFetcher } from '../../server/crawl/index.js';
import { openPipeline } from '../../server/pipeline/open.js';
import type { Status } from '../../node-agent/schema.js';
import { hostileId, statusDoc } from './builder.js';
import { startHonestRing } from './mixed-ring.js';
import type { HonestRing } from './mixed-ring.js';
import { httpServer, sendBody } from './servers.js';

/** An honest ring of `nodes` with a replayer in it, between honest 1 (1400…) and honest 2 (1800…). */
async function ringWithReplayer(nodes: number, replayed: (ring: HonestRing) => Status) {
  let ring: HonestRing | undefined;
  const server = await httpServer((_req, res) => sendBody(res, replayed(ring!)));
  const replayer = { id: `1${'6'.repeat(39)}`, endpoint: `http://127.0.0.1:${server.port}` };
  try {
    ring = await startHonestRing({ nodes, members: [replayer] });
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    ring,
    replayer,
    close: async () => {
      await ring?.close();
      await server.close();
    },
  };
}

const byEndpoint = (visits: readonly Visit[], endpoint: string) =>
  visits.filter((v) => v.endpoint === endpoint);

void test('parallel: a replayer reached before its victim does not hide the victim', async (t) => {
  // The seed (honest 0) lists the replayer as a connection; the victim (honest 6) is four hops away.
  const replayed: { status?: Status } = {};
  const server = await httpServer((_req, res) => sendBody(res, replayed.status));
  t.after(() => server.close());
  const replayer = { id: hostileId(1), endpoint: `http://127.0.0.1:${server.port}` };
  const ring = await startHonestRing({
    nodes: 12,
    refer: (i) => (i === 0 ? { connections: [replayer] } : {}),
  });
  t.after(() => ring.close());
  const target = ring.honest[6]!;
  replayed.status = target.agent.status();
  const fetcher = createStatusFetcher({ timeoutMs: 2000 }, { clock: systemClock() });
  t.after(() => fetcher.close());
  const r = await createCrawler({ fetcher, clock: systemClock() }, { concurrency: 4 }).crawl({
    seeds: [ring.honest[0]!.endpoint],
    strategy: 'parallel',
  });
  const lie = byEndpoint(r.visits, replayer.endpoint);
  assert.equal(lie.length, 1);
  assert.equal(!lie[0]!.ok && lie[0]!.error, 'id_mismatch');
  const real = byEndpoint(r.visits, target.endpoint);
  assert.equal(real.length, 1, 'the victim is visited and kept');
  assert.equal(real[0]!.ok, true);
  assert.ok(r.visits.indexOf(lie[0]!) < r.visits.indexOf(real[0]!), 'control: the replayer answered first');
  assert.equal(r.aliases, undefined, 'nothing was taken for an alias');
  assert.equal(r.visits.filter((v) => v.ok).length, 12);
});

void test('ring walk: a replayer of the start node is recorded, not dropped as its alias', async (t) => {
  // Ring order by ID: honest 0 (1000…), honest 1 (1400…), replayer (1666…), honest 2 (1800…), …
  const set = await ringWithReplayer(5, (ring) => ring.honest[0]!.agent.status());
  t.after(() => set.close());
  const fetcher = createStatusFetcher({ timeoutMs: 2000 }, { clock: systemClock() });
  t.after(() => fetcher.close());
  const r = await createCrawler({ fetcher, clock: systemClock() }).crawl({
    seeds: [set.ring.honest[0]!.endpoint],
    strategy: 'ring-walk',
  });
  const lie = byEndpoint(r.visits, set.replayer.endpoint);
  assert.equal(lie.length, 1, 'the replayer visit is kept as evidence');
  assert.equal(!lie[0]!.ok && lie[0]!.error, 'id_mismatch');
  assert.equal(r.aliases, undefined);
  assert.deepEqual(
    r.visits.map((v) => v.endpoint),
    [set.ring.honest[0]!.endpoint, set.ring.honest[1]!.endpoint, set.replayer.endpoint],
    'the walk follows R1 to the replayer, then stops: its replayed R1 was already visited',
  );
});

void test(
  'a referrer that names an honest endpoint under a wrong ID does not hide that node',
  {
    todo:
      'open: the claimed ID becomes the expected ID, the honest answer is id_mismatch (never live), and the ' +
      "store's known endpoints keep the wrong ID, so the node stays hidden after the lie stops (docs/hostile.md)",
  },
  async (t) => {
    const ring = await startHonestRing({ nodes: 8 });
    t.after(() => ring.close());
    const honest = ring.honest[4]!;
    const lying = { now: true };
    const liar = await httpServer((_req, res) => {
      const right = [
        ...(lying.now ? [{ id: hostileId(7), endpoint: honest.endpoint }] : []),
        { id: ring.honest[0]!.id, endpoint: ring.honest[0]!.endpoint },
      ];
      sendBody(res, statusDoc(hostileId(8), `http://127.0.0.1:${liar.port}`, { ring: { left: [], right } }));
    });
    t.after(() => liar.close());
    const dir = mkdtempSync(join(tmpdir(), 'rw-hostile-liar-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const open = await openPipeline(
      { db: join(dir, 'ringwatch.db'), seeds: [`http://127.0.0.1:${liar.port}`], timeoutMs: 2000 },
      { clock: systemClock() },
    );
    t.after(() => open.close());
    for (const crawl of ['while lying', 'after the lie stopped']) {
      await open.pipeline.run();
      const latest = await open.store.nodeLatest(honest.id);
      assert.equal(latest?.present, true, `${crawl}: honest 4 is observed`);
      assert.equal(latest?.state, 'ok', `${crawl}: honest 4 is live and consistent`);
      lying.now = false;
    }
  },
);
