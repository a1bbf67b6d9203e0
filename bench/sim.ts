/**
 * Simulator benchmark: memory at 10k and 100k nodes, and status-endpoint throughput measured with a
 * load tool (autocannon, in this process) against a simulator in its own process.
 *
 *   node --import tsx bench/sim.ts [--quick]
 */
import autocannon from 'autocannon';
import { MiB, fmt, getJson, median, sleep, spawnRingwatch } from './lib.js';

interface Ready {
  seeds: string[];
  control: string;
  nodes: number;
}
interface Stats {
  rssBytes: number;
  heapUsedBytes: number;
  events: number;
  messages: number;
}

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const LOAD_SECONDS = quick ? 3 : 10;

async function memory(label: string, args: string[], settleMs: number) {
  const sim = await spawnRingwatch<Ready>(['sim', ...args]);
  try {
    const atReady = await getJson<Stats>(`${sim.ready.control}/stats`);
    await sleep(settleMs);
    const settled = await getJson<Stats>(`${sim.ready.control}/stats`);
    const row = {
      label,
      startupS: sim.startupMs / 1000,
      rssReadyMiB: atReady.rssBytes / MiB,
      rssSettledMiB: settled.rssBytes / MiB,
      heapSettledMiB: settled.heapUsedBytes / MiB,
      eventsPerSec: (settled.events - atReady.events) / (settleMs / 1000),
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    await sim.stop();
  }
}

async function load(
  url: string | undefined,
  setup: ((path: string) => string) | undefined,
  connections: number,
) {
  const result = await autocannon({
    url: url!,
    connections,
    duration: LOAD_SECONDS,
    ...(setup
      ? { requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: setup(req.path ?? '/') }) }] }
      : {}),
  });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function throughput() {
  const rows: Record<string, unknown>[] = [];
  // One node: a 10k ring with one port per node; load one node's status endpoint.
  const ports = await spawnRingwatch<Ready>(['sim', '--nodes', '10000', '--bootstrap', 'converged']);
  try {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await load(`${ports.ready.seeds[0]}/v1/status`, undefined, 32));
    rows.push({
      label: 'one node (10k ring, ports, keep-alive)',
      rps: median(runs.map((r) => r.rps)),
      p99Ms: median(runs.map((r) => r.p99)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
    });
  } finally {
    await ports.stop();
  }
  // All nodes: a 10k ring on one shared port, a random node per request, a new connection per request.
  const paths = await spawnRingwatch<Ready>([
    'sim',
    '--nodes',
    '10000',
    '--endpoints',
    'paths',
    '--bootstrap',
    'converged',
  ]);
  try {
    const base = paths.ready.control;
    const runs = [];
    for (let i = 0; i < RUNS; i++)
      runs.push(
        await load(`${base}/n/0/v1/status`, () => `/n/${Math.floor(Math.random() * 10_000)}/v1/status`, 32),
      );
    rows.push({
      label: 'all nodes (10k ring, paths, connection per request)',
      rps: median(runs.map((r) => r.rps)),
      p99Ms: median(runs.map((r) => r.p99)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
    });
  } finally {
    await paths.stop();
  }
  for (const r of rows) console.log(JSON.stringify(r));
  return rows;
}

const mem = [
  await memory('10k nodes, ports, join bootstrap', ['--nodes', '10000'], quick ? 5_000 : 30_000),
  await memory(
    '10k nodes, ports, converged',
    ['--nodes', '10000', '--bootstrap', 'converged'],
    quick ? 5_000 : 30_000,
  ),
  await memory(
    '100k nodes, paths, converged',
    ['--nodes', '100000', '--bootstrap', 'converged', '--stabilize-ms', '20000', '--keepalive-ms', '60000'],
    quick ? 5_000 : 30_000,
  ),
];
const tput = await throughput();

console.log('\n| simulator | startup | RSS at ready | RSS after settle | heap | engine events/s |');
console.log('|---|---|---|---|---|---|');
for (const m of mem)
  console.log(
    `| ${m.label} | ${fmt(m.startupS, 1)} s | ${fmt(m.rssReadyMiB)} MiB | ${fmt(m.rssSettledMiB)} MiB | ${fmt(m.heapSettledMiB)} MiB | ${fmt(m.eventsPerSec)} |`,
  );
console.log(
  '\n| status endpoint load (autocannon, 32 connections) | requests/s (median) | p99 latency | errors |',
);
console.log('|---|---|---|---|');
for (const t of tput)
  console.log(
    `| ${String(t.label)} | ${fmt(t.rps as number)} | ${String(t.p99Ms)} ms | ${String(t.errors)} |`,
  );
