import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { crawlOf, openFixture, simRing, tickCounters } from './helpers.js';

const NODES = 10_000;
const CRAWLS = 20;
const LIMIT = 150;

// A storage-format property (deterministic): bytes the database file grows per node per crawl when the
// ring does not change. Timings are printed for information only.
void test(`an unchanged ${NODES}-node ring costs <= ${LIMIT} bytes per node per crawl`, async (t) => {
  const { db, store, clock, file } = await openFixture(t);
  const ring = simRing(NODES, 42);
  const ids = [...ring.nodes.keys()];
  // 4 near connections + 10 shortcuts per node (~log2 N), as in a Symphony ring of this size.
  [...ring.nodes.values()].forEach((n, i) => {
    for (let k = 1; k <= 10; k++) n.shortcuts.push(ids[(i + 2 ** k + 3) % NODES]!);
  });
  const size = async () => {
    await db.run('PRAGMA wal_checkpoint(TRUNCATE)');
    return statSync(file).size;
  };
  const cpuMs: number[] = [];
  const record = async () => {
    const id = await store.beginCrawl({ strategy: 'parallel' });
    const sim = crawlOf(ring, clock.now());
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const delta = await store.recordCrawl(id, sim.result, sim.analysis);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    tickCounters(ring);
    clock.advance(60_000);
    return { ms, delta };
  };

  const first = await record();
  assert.equal(first.delta.nodesAdded.length, NODES);
  const base = await size();
  const times: number[] = [];
  for (let i = 0; i < CRAWLS; i++) {
    const { ms, delta } = await record();
    assert.equal(delta.edgesAdded.length + delta.edgesRemoved.length + delta.nodesAdded.length, 0);
    times.push(ms);
  }
  const grown = (await size()) - base;
  const perNodeCrawl = grown / (CRAWLS * NODES);
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `store size: ${perNodeCrawl.toFixed(1)} bytes/node/crawl (${grown} bytes over ${CRAWLS} crawls of ${NODES} nodes); ` +
      `recordCrawl ${NODES} nodes: first ${first.ms.toFixed(0)} ms, steady median ${sorted[CRAWLS >> 1]!.toFixed(0)} ms, ` +
      `min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms; ` +
      `CPU time (both threads) median ${[...cpuMs.slice(1)].sort((a, b) => a - b)[CRAWLS >> 1]!.toFixed(0)} ms`,
  );
  assert.ok(perNodeCrawl <= LIMIT, `${perNodeCrawl.toFixed(1)} bytes/node/crawl > ${LIMIT}`);
  const obs = await db.get<{ n: number }>('SELECT count(*) AS n FROM observations');
  assert.equal(obs?.n, NODES * (CRAWLS + 1));
});
