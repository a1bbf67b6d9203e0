/**
 * Storage cost of relay RTTs (table conn_rtt, migrations/005_relays.sql) on a simulated ring: crawls a
 * 1k-node ring (NAT'd share as given) several times through the real pipeline into a temp database and
 * reports the database size, the bytes conn_rtt and its indexes take (dbstat), and what each further
 * crawl of the unchanged ring adds. Not a test: prints numbers.
 *   node --import tsx bench/relays-size.ts [nodes=1000] [crawls=10] [nat=0.2]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../server/core/clock.js';
import { openPipeline } from '../server/pipeline/open.js';
import { startSimulator } from '../server/sim/run.js';

const [nodes = 1000, crawls = 10, nat = 0.2] = process.argv.slice(2).map(Number);
const sim = await startSimulator({ nodes, nat, seed: 7, bootstrap: 'converged', stabilizeMs: 200 });
const dir = mkdtempSync(join(tmpdir(), 'rw-relays-size-'));
const file = join(dir, 'ringwatch.db');
const open = await openPipeline(
  { db: file, seeds: sim.seeds, timeoutMs: 5000, concurrency: 64 },
  { clock: systemClock() },
);

async function measure() {
  await open.db.get('PRAGMA wal_checkpoint(TRUNCATE)');
  const rows = (await open.db.get<{ n: number }>('SELECT count(*) AS n FROM conn_rtt'))!.n;
  let tableBytes: number | null = null;
  try {
    const r = await open.db.get<{ b: number | null }>(
      `SELECT sum(pgsize) AS b FROM dbstat WHERE name IN ('conn_rtt', 'conn_rtt_to', 'connections_relay')`,
    );
    tableBytes = r?.b ?? 0;
  } catch {
    tableBytes = null; // SQLite built without dbstat
  }
  return { fileBytes: statSync(file).size, rows, tableBytes };
}

try {
  const first = await open.pipeline.run();
  const after1 = await measure();
  const relays = await open.store.relaysAt(first.crawlId);
  for (let i = 1; i < crawls; i++) await open.pipeline.run();
  const afterN = await measure();
  const perCrawl = (afterN.fileBytes - after1.fileBytes) / Math.max(1, crawls - 1);
  const rttPerCrawl =
    afterN.tableBytes === null || after1.tableBytes === null
      ? null
      : (afterN.tableBytes - after1.tableBytes) / Math.max(1, crawls - 1);
  console.log(
    JSON.stringify(
      {
        nodes,
        nat,
        reachable: first.reachable,
        relayedConnections: relays?.relayedConnections ?? 0,
        relayEdges: relays?.edges.length ?? 0,
        afterFirstCrawl: after1,
        [`after${crawls}Crawls`]: afterN,
        dbBytesPerFurtherCrawl: perCrawl,
        dbBytesPerNodePerFurtherCrawl: perCrawl / nodes,
        connRttBytesPerFurtherCrawl: rttPerCrawl,
        connRttBytesPerNodePerFurtherCrawl: rttPerCrawl === null ? null : rttPerCrawl / nodes,
        connRttBytesPerNodeFirstCrawl: after1.tableBytes === null ? null : after1.tableBytes / nodes,
      },
      null,
      2,
    ),
  );
} finally {
  await open.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
