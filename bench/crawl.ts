/**
 * Crawler benchmark (issue: crawl + check + persist), side by side in one run on the simulator, one
 * connection per node visit. Each ring runs in its own simulator process; each measurement in its own
 * crawler process. Reports medians of several crawls (the first crawl of a database is reported apart:
 * it inserts every node and interval).
 *   node --import tsx bench/crawl.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { MiB, ROOT, fmt, median, spawnRingwatch } from './lib.js';

interface Ready {
  seeds: string[];
  control: string;
  nodes: number;
}
interface Run {
  wallMs: number;
  crawlMs: number;
  analyzeMs: number;
  persistMs: number;
  reachable: number;
  discovered: number;
  errors: Record<string, number>;
}

const quick = process.argv.includes('--quick');

async function crawlWorker(job: Record<string, unknown>): Promise<{ runs: Run[]; peakRssBytes: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/crawl-one.ts', JSON.stringify(job)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`crawl worker exited ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as { runs: Run[]; peakRssBytes: number };
}

interface Row {
  label: string;
  nodes: number;
  firstMs: number;
  medianMs: number;
  crawlMs: number;
  persistMs: number;
  visitsPerSec: number;
  peakRssMiB: number;
  reachable: number;
}

async function scenario(
  label: string,
  simArgs: string[],
  runs: number,
  strategy: 'parallel' | 'ring-walk' = 'parallel',
): Promise<Row> {
  const sim = await spawnRingwatch<Ready>(['sim', '--bootstrap', 'converged', ...simArgs]);
  try {
    const r = await crawlWorker({ seeds: sim.ready.seeds, runs: runs + 1, strategy });
    const steady = r.runs.slice(1);
    const row: Row = {
      label,
      nodes: sim.ready.nodes,
      firstMs: r.runs[0]!.wallMs,
      medianMs: median(steady.map((x) => x.wallMs)),
      crawlMs: median(steady.map((x) => x.crawlMs)),
      persistMs: median(steady.map((x) => x.persistMs + x.analyzeMs)),
      visitsPerSec: median(steady.map((x) => x.discovered / (x.crawlMs / 1000))),
      peakRssMiB: r.peakRssBytes / MiB,
      reachable: Math.min(...steady.map((x) => x.reachable)),
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    await sim.stop();
  }
}

/** Crawler fetch rate vs autocannon's raw rate against the same simulator (paths mode: all nodes). */
async function rawVsCrawler(nodes: number) {
  const sim = await spawnRingwatch<Ready>([
    'sim',
    '--bootstrap',
    'converged',
    '--nodes',
    String(nodes),
    '--endpoints',
    'paths',
    '--stabilize-ms',
    '10000',
  ]);
  try {
    const load = await autocannon({
      url: `${sim.ready.control}/n/0/v1/status`,
      connections: 256,
      duration: quick ? 3 : 10,
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => ({ ...req, path: `/n/${Math.floor(Math.random() * nodes)}/v1/status` }),
        },
      ],
    });
    const crawl = await crawlWorker({ seeds: sim.ready.seeds, runs: quick ? 2 : 4, strategy: 'parallel' });
    const crawlerRate = median(crawl.runs.slice(1).map((x) => x.discovered / (x.crawlMs / 1000)));
    const row = {
      rawRps: load.requests.average,
      rawErrors: load.errors,
      crawlerRate,
      ratio: crawlerRate / load.requests.average,
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    await sim.stop();
  }
}

const runs = quick ? 1 : 3;
if (process.argv.includes('--raw-only')) {
  const r = await rawVsCrawler(10_000);
  console.log(
    `crawler ${fmt(r.crawlerRate)} visits/s vs autocannon ${fmt(r.rawRps)} req/s: ratio ${fmt(r.ratio, 2)}`,
  );
  process.exit(0);
}
const rows: Row[] = [];
rows.push(await scenario('1k nodes', ['--nodes', '1000'], runs));
rows.push(await scenario('10k nodes', ['--nodes', '10000', '--stabilize-ms', '5000'], runs));
const delay10k = await scenario(
  '10k nodes, 100 ms answer delay',
  ['--nodes', '10000', '--stabilize-ms', '5000', '--answer-delay-ms', '100'],
  runs,
);
rows.push(delay10k);
const par1k = await scenario(
  '1k nodes, 100 ms delay, parallel',
  ['--nodes', '1000', '--answer-delay-ms', '100'],
  runs,
);
rows.push(par1k);
const walk1k = await scenario(
  '1k nodes, 100 ms delay, ring-walk',
  ['--nodes', '1000', '--answer-delay-ms', '100'],
  1,
  'ring-walk',
);
rows.push(walk1k);
if (!quick)
  rows.push(
    await scenario(
      '100k nodes (shared port)',
      ['--nodes', '100000', '--stabilize-ms', '20000', '--keepalive-ms', '60000'],
      2,
    ),
  );
const raw = await rawVsCrawler(10_000);

console.log(
  '\n| ring | first crawl | crawl+check+persist (median) | of which crawl | check+persist | visits/s | crawler peak RSS | reachable |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.label} | ${fmt(r.firstMs / 1000, 2)} s | ${fmt(r.medianMs / 1000, 2)} s | ${fmt(r.crawlMs / 1000, 2)} s | ${fmt(r.persistMs / 1000, 2)} s | ${fmt(r.visitsPerSec)} | ${fmt(r.peakRssMiB)} MiB | ${r.reachable}/${r.nodes} |`,
  );
console.log(
  `\nparallel vs ring-walk at 1k with 100 ms delay: ${fmt(walk1k.crawlMs / par1k.crawlMs, 1)}× faster`,
);
console.log(
  `crawler ${fmt(raw.crawlerRate)} visits/s vs autocannon ${fmt(raw.rawRps)} req/s (256 connections, a new connection per request) on the same 10k simulator: ratio ${fmt(raw.ratio, 2)}`,
);
