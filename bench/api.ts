/**
 * API latency at 10k nodes (issue 4). A 10k-node converged simulated ring and `ringwatch start` each run
 * in their own process; the server crawls the ring twice, then this process times the dashboard's read
 * routes with a viewer token (rate limit off): sequential requests (one connection: the latency a user
 * sees on an idle server) and 16 concurrent ones (throughput and latency under contention). Each
 * measurement is repeated; the table shows the median over runs of each run's percentile.
 *   node --import tsx bench/api.ts [--quick]
 */
import { fmt, median } from './lib.js';
import {
  getJsonAuth,
  machineLoad,
  percentile,
  spawnServer,
  spawnSim,
  timedGet,
  type BenchServer,
} from './server-lib.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const SECONDS = quick ? 2 : 5;
const CONCURRENT = 16;

interface RouteDef {
  label: string;
  /** A fresh path per request (so /nodes/:id varies). */
  path: () => string;
}

interface RunStats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  bytes: number;
  errors: number;
}

/** `workers` loops issuing GETs back to back for `seconds` (at least 3 requests per worker). */
async function measure(
  server: BenchServer,
  token: string,
  route: RouteDef,
  workers: number,
  seconds: number,
) {
  const lat: number[] = [];
  let errors = 0;
  let bytes = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = 0; performance.now() < end || i < 3; i++) {
        try {
          const r = await timedGet(`${server.url}${route.path()}`, token);
          if (r.status !== 200) errors++;
          else lat.push(r.ms);
          bytes = r.bytes;
        } catch {
          errors++;
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const s: RunStats = {
    n: lat.length + errors,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
    p99: percentile(lat, 99),
    rps: (lat.length + errors) / wall,
    bytes,
    errors,
  };
  return s;
}

const load0 = machineLoad();
const sim = await spawnSim(10_000);
let server: BenchServer | null = null;
try {
  // A 30 s visit timeout: on a loaded machine the default 3 s leaves part of the ring unreached, and
  // this bench needs the whole 10k ring in the database (crawl speed is bench/crawl.ts's subject).
  server = await spawnServer({
    seeds: sim.ready.seeds,
    schedule: '0 0 1 1 *',
    rateLimitPerMinute: 0,
    crawl: { timeoutMs: 30_000 },
  });
  const first = await server.waitCrawl(1);
  const second = await server.crawlNow();
  console.error(
    `crawls: #${first.crawlId} ${first.state} ${fmt(first.durationMs / 1000, 1)} s (${first.reachable} reachable), ` +
      `#${second.id} ${second.state} ${fmt((second.durationMs ?? 0) / 1000, 1)} s (${second.reachable} reachable)`,
  );
  const [viewer] = await server.createTokens(1, 'viewer');
  const token = viewer!;
  const page = await getJsonAuth<{ items: { key: string; nodeId: string | null }[] }>(
    `${server.url}/api/v1/nodes?limit=1000`,
    token,
  );
  const ids = page.items.map((n) => n.nodeId ?? encodeURIComponent(n.key));
  const inconsistent = await getJsonAuth<{ items: unknown[] }>(
    `${server.url}/api/v1/nodes?state=inconsistent&limit=1000`,
    token,
  );
  const cid = second.id;
  const routes: RouteDef[] = [
    { label: 'GET /summary', path: () => '/api/v1/summary' },
    { label: 'GET /nodes?state=inconsistent', path: () => '/api/v1/nodes?state=inconsistent' },
    { label: 'GET /nodes?state=ok&limit=1000', path: () => '/api/v1/nodes?state=ok&limit=1000' },
    { label: 'GET /nodes/:id', path: () => `/api/v1/nodes/${ids[Math.floor(Math.random() * ids.length)]}` },
    { label: 'GET /crawls/:id/topology', path: () => `/api/v1/crawls/${cid}/topology` },
    {
      label: 'GET /crawls/:id/topology?connections=false',
      path: () => `/api/v1/crawls/${cid}/topology?connections=false`,
    },
  ];
  // The server keeps the last few topology answers (a recorded crawl's topology never changes), so the
  // runs below time cached answers; the first request per crawl and variant pays the build.
  const builds: { variant: string; ms: number[] }[] = [];
  for (const variant of ['', '?connections=false']) {
    const ms: number[] = [];
    for (const id of [first.crawlId, cid]) {
      const r = await timedGet(`${server.url}/api/v1/crawls/${id}/topology${variant}`, token);
      if (r.status !== 200) throw new Error(`topology ${id}${variant}: HTTP ${r.status}`);
      ms.push(r.ms);
    }
    builds.push({ variant, ms });
    console.log(JSON.stringify({ build: variant || 'connections=true', ms }));
  }
  const rows = [];
  for (const route of routes) {
    await measure(server, token, route, 1, 0.5); // warm-up
    const seq: RunStats[] = [];
    const con: RunStats[] = [];
    for (let i = 0; i < RUNS; i++) {
      seq.push(await measure(server, token, route, 1, SECONDS));
      con.push(await measure(server, token, route, CONCURRENT, SECONDS));
    }
    const row = {
      route: route.label,
      bytes: seq[seq.length - 1]!.bytes,
      seq: {
        p50: median(seq.map((s) => s.p50)),
        p95: median(seq.map((s) => s.p95)),
        p99: median(seq.map((s) => s.p99)),
        n: seq.map((s) => s.n),
        runsP95: seq.map((s) => s.p95),
      },
      con: {
        rps: median(con.map((s) => s.rps)),
        p50: median(con.map((s) => s.p50)),
        p95: median(con.map((s) => s.p95)),
        p99: median(con.map((s) => s.p99)),
        runsP95: con.map((s) => s.p95),
      },
      errors: [...seq, ...con].reduce((a, s) => a + s.errors, 0),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  const ms = (x: number) => `${fmt(x, x < 10 ? 1 : 0)} ms`;
  console.log(`\nmachine load before: ${load0}\nmachine load after: ${machineLoad()}`);
  console.log(
    `ring: ${sim.ready.nodes} nodes; crawls #${first.crawlId} ${fmt(first.durationMs / 1000, 1)} s and ` +
      `#${second.id} ${fmt((second.durationMs ?? 0) / 1000, 1)} s; ${second.reachable} reachable; ` +
      `${inconsistent.items.length} inconsistent nodes listed`,
  );
  for (const b of builds)
    console.log(
      `topology${b.variant} build (first request per crawl, crawls #${first.crawlId} and #${cid}): ` +
        b.ms.map((x) => `${fmt(x)} ms`).join(', '),
    );
  console.log(
    `\n| route | answer size | sequential p50 / p95 / p99 | p95 per run | ${CONCURRENT} concurrent: req/s | p50 / p95 / p99 | p95 per run | errors |`,
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.route} | ${fmt(r.bytes)} B | ${ms(r.seq.p50)} / ${ms(r.seq.p95)} / ${ms(r.seq.p99)} | ` +
        `${r.seq.runsP95.map((x) => fmt(x, 1)).join(', ')} | ${fmt(r.con.rps, 1)} | ` +
        `${ms(r.con.p50)} / ${ms(r.con.p95)} / ${ms(r.con.p99)} | ${r.con.runsP95.map((x) => fmt(x)).join(', ')} | ${r.errors} |`,
    );
  if (server.errors.length)
    console.log(`\nserver errors logged: ${server.errors.length}\n${server.errors[0]}`);
} finally {
  await server?.stop();
  await sim.stop();
}
process.exit(0);
