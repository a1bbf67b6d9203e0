/**
 * Mass loss to notification (issue 5, target ≤ 30 s). A 10k-node converged simulated ring and
 * `ringwatch start` (crawl schedule every 10 s, detectors `lostAfterCrawls` 2 by default, one webhook
 * channel) run in their own processes; the webhook sink is an HTTP server in this process. Each run
 * injects a 20 % mass loss (2 min) through the simulator's control API at a random point of the crawl
 * cycle and times inject → NodeLossNonLinear firing notification received; then it waits for the ring to
 * come back and the alert to resolve before the next run.
 *   node --import tsx bench/alert.ts [--quick] [--lost-after N] [--runs N]
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fmt, median, sleep } from './lib.js';
import {
  machineLoad,
  postJson,
  spawnServer,
  spawnSim,
  type BenchServer,
  type CrawlLog,
} from './server-lib.js';

const quick = process.argv.includes('--quick');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const LOST_AFTER = arg('--lost-after', 2);
const RUNS = arg('--runs', quick ? 1 : 3);
const NODES = quick ? 2000 : 10_000;
const FAULT = { kind: 'mass-loss', fraction: 0.2, durationMs: 120_000 };

interface Received {
  at: number;
  status: string;
  alertnames: string[];
}

/** The webhook sink: records every notification with its arrival time. */
async function startSink() {
  const received: Received[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const at = Date.now();
      try {
        const p = JSON.parse(body) as { status: string; alerts: { labels: { alertname?: string } }[] };
        received.push({ at, status: p.status, alertnames: p.alerts.map((a) => a.labels.alertname ?? '?') });
      } catch {
        received.push({ at, status: 'unparsable', alertnames: [] });
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => srv.close() };
}

/** Polls fn until it gives something other than undefined (null counts as an answer). */
async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const isLoss = (r: Received, status: string) =>
  r.status === status && r.alertnames.includes('NodeLossNonLinear');

interface RunResult {
  /** null: no notification within 5 min of the inject. */
  latencyMs: number | null;
  offsetMs: number;
  cycleMs: number;
  crawlsBetween: CrawlLog[];
  resolvedAfterMs: number | null;
}

async function oneRun(server: BenchServer, sink: Awaited<ReturnType<typeof startSink>>, control: string) {
  // A random point of the crawl cycle: just after a crawl finished, plus a uniform share of the period.
  const n0 = server.crawls.length;
  await waitFor('a crawl to finish', () => (server.crawls.length > n0 ? true : undefined), 300_000);
  const c = server.crawls;
  const cycleMs = c.length >= 2 ? c[c.length - 1]!.at - c[c.length - 2]!.at : 20_000;
  const offsetMs = Math.random() * cycleMs;
  await sleep(offsetMs);
  const seen = sink.received.length;
  const crawlsBefore = server.crawls.length;
  const r = await postJson(`${control}/faults`, FAULT);
  const injectedAt = Date.now();
  if (r.status !== 201) throw new Error(`inject failed: ${r.status} ${r.text}`);
  // Detection must happen while the nodes are down (2 min) or soon after; give up 5 min after inject.
  const fired = await waitFor(
    'the firing notification',
    () =>
      sink.received.slice(seen).find((x) => isLoss(x, 'firing')) ??
      (Date.now() - injectedAt > 300_000 ? null : undefined),
    400_000,
  );
  const crawlsBetween = server.crawls.slice(crawlsBefore).filter((x) => x.at <= (fired?.at ?? Date.now()));
  const resolved = fired
    ? await waitFor(
        'the resolved notification',
        () => sink.received.slice(seen).find((x) => isLoss(x, 'resolved')),
        900_000,
      )
    : null;
  const after = resolved?.at ?? Date.now();
  // Recovered: a crawl after the resolution that reached (almost) the whole ring.
  await waitFor(
    'the ring to recover',
    () => server.crawls.find((x) => x.at > after && x.reachable >= NODES * 0.995),
    600_000,
  ).catch((err: unknown) => {
    const last = server.crawls.slice(-8).map((x) => ({ ...x, at: x.at - injectedAt }));
    console.error(`crawls before giving up (ms after inject): ${JSON.stringify(last)}`);
    throw err;
  });
  return {
    latencyMs: fired ? fired.at - injectedAt : null,
    offsetMs,
    cycleMs,
    crawlsBetween: crawlsBetween.map((x) => ({ ...x, at: x.at - injectedAt })),
    resolvedAfterMs: resolved ? resolved.at - injectedAt : null,
  } satisfies RunResult;
}

const sec = (ms: number | null) => (ms === null ? 'not within 5 min' : `${fmt(ms / 1000, 1)} s`);

const load0 = machineLoad();
const sink = await startSink();
const sim = await spawnSim(NODES);
let server: BenchServer | null = null;
try {
  server = await spawnServer({
    seeds: sim.ready.seeds,
    schedule: '*/10 * * * * *',
    rateLimitPerMinute: 0,
    detectors: { lostAfterCrawls: LOST_AFTER },
    alerting: { channels: [{ kind: 'webhook', name: 'bench-sink', url: sink.url }] },
  });
  // Warm up: two crawls so every node is known (seen reachable) before the first loss.
  await server.waitCrawl(2);
  const results: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    const res = await oneRun(server, sink, sim.ready.control);
    console.log(JSON.stringify({ run: i + 1, ...res }));
    results.push(res);
  }
  const steady = server.crawls.slice(2);
  const periods = steady.slice(1).map((x, i) => x.at - steady[i]!.at);
  console.log(`\nmachine load before: ${load0}\nmachine load after: ${machineLoad()}`);
  console.log(
    `ring ${sim.ready.nodes} nodes, schedule */10 s, lostAfterCrawls ${LOST_AFTER}; crawl duration median ` +
      `${fmt(median(steady.map((x) => x.durationMs)) / 1000, 1)} s (then analysis ` +
      `${fmt(median(steady.map((x) => x.analyzeMs)))} ms, recording ${fmt(median(steady.map((x) => x.persistMs)))} ms), ` +
      `crawl-to-crawl period median ` +
      `${fmt(median(periods) / 1000, 1)} s over ${steady.length} crawls`,
  );
  console.log(
    '\n| run | injected at (s into the cycle) | inject → notification | crawls finished in between (s after inject: reachable) | resolved after |',
  );
  console.log('|---|---|---|---|---|');
  results.forEach((r, i) =>
    console.log(
      `| ${i + 1} | ${fmt(r.offsetMs / 1000, 1)} of ${fmt(r.cycleMs / 1000, 1)} | ${sec(r.latencyMs)} | ` +
        `${r.crawlsBetween.map((c) => `#${c.crawlId} ${fmt(c.at / 1000, 1)}: ${c.reachable}`).join(', ')} | ` +
        `${sec(r.resolvedAfterMs)} |`,
    ),
  );
  const got = results.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs]));
  console.log(
    `\nmedian inject → notification: ${got.length ? sec(median(got)) : 'none'} (${got.length} of ${results.length} runs notified)`,
  );
  if (server.errors.length)
    console.log(`\nserver errors logged: ${server.errors.length}\n${server.errors[0]}`);
} finally {
  await server?.stop();
  await sim.stop();
  sink.close();
}
process.exit(0);
