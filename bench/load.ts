/**
 * Dashboard load (issue 7). A 10k-node converged simulated ring and `ringwatch start` (crawl every 15 s,
 * default rate limit 1200/min) run in their own processes; this process plays N dashboard clients, each
 * with its own viewer token, doing what an open Ring view does plus polling on top: a socket.io
 * live-stream subscription, GET /crawls/:id/topology?connections=false once at start and again whenever
 * a crawl:finished carries no applicable delta (the page applies deltas in place otherwise), GET /summary
 * every 2 s (the real shell asks only after crawl:finished) and GET /nodes?state=… every 10 s. Every 5 s it scrapes the server's /metrics (event-loop lag p99 of the last 5 s)
 * and reads the server's RSS. At the end one more client floods /summary past the rate limit while the
 * others keep going. Default: 100 clients for 5 minutes; --quick: 20 clients for 1 minute.
 *   node --import tsx bench/load.ts [--quick] [--clients N] [--minutes M]
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { MiB, fmt, median, sleep } from './lib.js';
import {
  machineLoad,
  percentile,
  rssOf,
  scrapeMetrics,
  slope,
  spawnServer,
  spawnSim,
  timedGet,
  type BenchServer,
} from './server-lib.js';

const quick = process.argv.includes('--quick');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const CLIENTS = arg('--clients', quick ? 20 : 100);
const DURATION_MS = arg('--minutes', quick ? 1 : 5) * 60_000;
const FLOOD = arg('--flood', 2500);
const STATES = ['inconsistent', 'unreachable', 'lost', 'persistent', 'stalled', 'ok'] as const;
type RouteName = 'summary' | 'nodes' | 'topology';

interface RouteStats {
  ms: number[];
  errors: number;
  rateLimited: number;
  skipped: number;
  examples: string[];
}

const stats: Record<RouteName, RouteStats> = {
  summary: { ms: [], errors: 0, rateLimited: 0, skipped: 0, examples: [] },
  nodes: { ms: [], errors: 0, rateLimited: 0, skipped: 0, examples: [] },
  topology: { ms: [], errors: 0, rateLimited: 0, skipped: 0, examples: [] },
};
let topologyReloads = 0;
const live = { connectErrors: 0, disconnects: 0, finished: 0, seqGaps: 0, subscribeErrors: 0 };
let measuring = true;
const T0 = Date.now();
/** Every request and live event, for --timeline FILE (seconds since start). */
const timeline: unknown[] = [];

async function call(server: BenchServer, token: string, route: RouteName, path: string) {
  const s = stats[route];
  try {
    const r = await timedGet(`${server.url}${path}`, token);
    timeline.push([route, Math.round((Date.now() - r.ms - T0) / 100) / 10, Math.round(r.ms), r.status]);
    if (r.status === 200) {
      if (measuring) s.ms.push(r.ms);
    } else {
      if (r.status === 429) s.rateLimited++;
      else s.errors++;
      if (s.examples.length < 5) s.examples.push(`${r.status} ${path} ${r.body.slice(0, 200)}`);
    }
  } catch (err) {
    s.errors++;
    if (s.examples.length < 5) s.examples.push(`${path}: ${(err as Error).message}`);
  }
}

/** Runs `fn` every `ms` (first after a random phase); a tick whose previous call still runs is skipped. */
function every(ms: number, route: RouteName, fn: () => Promise<void>): () => void {
  let busy = false;
  let timer: NodeJS.Timeout;
  const phase = setTimeout(() => {
    const tick = () => {
      if (busy) {
        stats[route].skipped++;
        return;
      }
      busy = true;
      void fn().finally(() => (busy = false));
    };
    tick();
    timer = setInterval(tick, ms);
  }, Math.random() * ms);
  return () => {
    clearTimeout(phase);
    clearInterval(timer);
  };
}

interface Client {
  socket: Socket;
  stop(): void;
}

async function startClient(server: BenchServer, token: string, k: number): Promise<Client> {
  const socket = io(server.url, { auth: { token }, reconnectionDelay: 500 });
  socket.on('connect_error', () => live.connectErrors++);
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') live.disconnects++;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let lastSeq = -1;
  const topology = (id: number) =>
    call(server, token, 'topology', `/api/v1/crawls/${id}/topology?connections=false`);
  socket.on('crawl:finished', (p: { seq: number; crawlId: number; delta: unknown; replayed?: boolean }) => {
    if (p.replayed) return;
    if (measuring) live.finished++;
    if (k === 0)
      timeline.push([
        'crawl:finished',
        (Date.now() - T0) / 1000,
        p.crawlId,
        (p as { summary?: unknown }).summary,
      ]);
    // The Ring view applies a delta in place; without one (too large, or a gap) it reloads the ring.
    if (p.delta === null) {
      topologyReloads++;
      void topology(p.crawlId);
    }
  });
  if (k === 0)
    socket.on('crawl:started', (p: { crawlId: number }) =>
      timeline.push(['crawl:started', (Date.now() - T0) / 1000, p.crawlId]),
    );
  // As web/src/live.ts does: events before the subscribe ack are covered by the catch-up; the ack is
  // handled in its callback, in packet order (an awaited ack would run after packets batched behind it).
  socket.onAny((_event: string, p: { seq?: number; replayed?: boolean }) => {
    if (lastSeq < 0 || p?.replayed || typeof p?.seq !== 'number') return;
    if (p.seq !== lastSeq + 1) live.seqGaps++;
    lastSeq = p.seq;
  });
  const ack = await new Promise<{ mode: string; latestCrawlId: number | null; seq: number }>((resolve) =>
    socket.emit('subscribe', {}, (a: { mode: string; latestCrawlId: number | null; seq: number }) => {
      if (a.mode === 'error') live.subscribeErrors++;
      else lastSeq = a.seq;
      resolve(a);
    }),
  );
  if (ack.latestCrawlId !== null) await topology(ack.latestCrawlId);
  let n = k;
  const stops = [
    every(2000, 'summary', () => call(server, token, 'summary', '/api/v1/summary')),
    every(10_000, 'nodes', () =>
      call(server, token, 'nodes', `/api/v1/nodes?state=${STATES[n++ % STATES.length]}`),
    ),
  ];
  return { socket, stop: () => stops.forEach((s) => s()) };
}

const load0 = machineLoad();
const benchLag = monitorEventLoopDelay({ resolution: 10 });
const sim = await spawnSim(10_000);
let server: BenchServer | null = null;
const clients: Client[] = [];
try {
  server = await spawnServer({
    seeds: sim.ready.seeds,
    schedule: '*/15 * * * * *',
    rateLimitPerMinute: 1200,
  });
  const srv = server;
  const first = await server.waitCrawl(1);
  console.error(
    `first crawl #${first.crawlId}: ${fmt(first.durationMs / 1000, 1)} s, ${first.reachable} reachable`,
  );
  const tokens = await server.createTokens(CLIENTS + 1, 'viewer');
  const samples: { t: number; lagP99Ms: number; rssBytes: number }[] = [];
  const t0 = Date.now();
  const crawls0 = server.crawls.length;
  const monitor = setInterval(() => {
    scrapeMetrics(srv.url).then(
      (m) => samples.push({ t: Date.now() - t0, lagP99Ms: m.lagP99Ms, rssBytes: rssOf(srv.pid) }),
      () => samples.push({ t: Date.now() - t0, lagP99Ms: NaN, rssBytes: rssOf(srv.pid) }),
    );
  }, 5000);
  benchLag.enable();
  const started = await Promise.all(
    tokens.slice(0, CLIENTS).map(async (tok, k) => {
      await sleep(Math.random() * 2000);
      return startClient(srv, tok, k);
    }),
  );
  clients.push(...started);
  console.error(`${clients.length} clients connected after ${fmt((Date.now() - t0) / 1000, 1)} s`);
  await sleep(Math.max(0, DURATION_MS - (Date.now() - t0)));
  clearInterval(monitor);
  benchLag.disable();
  const runCrawls = server.crawls.slice(crawls0);

  // The flood: one more client, a burst past the limit, while the others keep polling.
  measuring = false;
  const before = { s: stats.summary.rateLimited + stats.nodes.rateLimited + stats.topology.rateLimited };
  const flood = { ok: 0, limited: 0, other: 0 };
  const floodToken = tokens[CLIENTS]!;
  let next = 0;
  const tf = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next++ < FLOOD) {
        try {
          const r = await timedGet(`${srv.url}/api/v1/summary`, floodToken);
          if (r.status === 200) flood.ok++;
          else if (r.status === 429) flood.limited++;
          else flood.other++;
        } catch {
          flood.other++;
        }
      }
    }),
  );
  const floodS = (performance.now() - tf) / 1000;
  await sleep(3000);
  const othersLimited =
    stats.summary.rateLimited + stats.nodes.rateLimited + stats.topology.rateLimited - before.s;

  // Report.
  const half = samples.filter((s) => s.t >= DURATION_MS / 2 && Number.isFinite(s.rssBytes));
  const rssSlope = slope(half.map((s) => ({ x: s.t / 60_000, y: s.rssBytes / MiB })));
  const lags = samples.map((s) => s.lagP99Ms).filter(Number.isFinite);
  const requests = Object.values(stats).reduce((a, s) => a + s.ms.length + s.errors + s.rateLimited, 0);
  const errors = Object.values(stats).reduce((a, s) => a + s.errors, 0);
  console.log(`\nmachine load before: ${load0}\nmachine load after: ${machineLoad()}`);
  console.log(
    `${CLIENTS} clients, ${fmt(DURATION_MS / 60_000, 1)} min, crawl every 15 s: ${runCrawls.length} crawls finished ` +
      `(${runCrawls.map((c) => `#${c.crawlId} ${c.state} ${fmt(c.durationMs / 1000, 1)} s ${c.reachable}/${c.discovered}`).join('; ')})`,
  );
  console.log(
    `requests ${requests}, errors ${errors}, 429 during the run ${before.s}; skipped ticks (previous call still running): ` +
      `summary ${stats.summary.skipped}, nodes ${stats.nodes.skipped}; live: ${live.finished} crawl:finished received, ` +
      `${topologyReloads} topology reloads (crawl:finished without a delta), ${live.connectErrors} connect errors, ${live.disconnects} disconnects, ${live.seqGaps} seq gaps, ${live.subscribeErrors} subscribe errors`,
  );
  for (const s of Object.values(stats)) for (const e of s.examples) console.log(`  error: ${e}`);
  console.log(
    `server event-loop lag p99 per 5 s window (${lags.length} windows): median ${fmt(median(lags))} ms, ` +
      `p95 ${fmt(percentile(lags, 95))} ms, max ${fmt(Math.max(...lags))} ms; bench process lag p99 ${fmt(benchLag.percentile(99) / 1e6)} ms`,
  );
  console.log(
    `server RSS: first ${fmt(samples[0]!.rssBytes / MiB)} MiB, last ${fmt(samples[samples.length - 1]!.rssBytes / MiB)} MiB, ` +
      `max ${fmt(Math.max(...samples.map((s) => s.rssBytes)) / MiB)} MiB; slope over the second half ${fmt(rssSlope, 1)} MiB/min`,
  );
  console.log('\n| route | requests | p50 | p95 | p99 | max | errors |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, s] of Object.entries(stats))
    console.log(
      `| ${name} | ${s.ms.length} | ${fmt(percentile(s.ms, 50))} ms | ${fmt(percentile(s.ms, 95))} ms | ` +
        `${fmt(percentile(s.ms, 99))} ms | ${fmt(Math.max(...s.ms))} ms | ${s.errors} |`,
    );
  console.log(
    `\nflood: ${FLOOD} GET /summary from one token, 64 at a time, in ${fmt(floodS, 1)} s: ${flood.ok} × 200, ` +
      `${flood.limited} × 429, ${flood.other} other; other clients got ${othersLimited} × 429 meanwhile`,
  );
  console.log(
    `samples: ${JSON.stringify(samples.map((s) => [Math.round(s.t / 1000), Math.round(s.lagP99Ms), Math.round(s.rssBytes / MiB)]))}`,
  );
  const tl = process.argv.indexOf('--timeline');
  if (tl >= 0)
    writeFileSync(
      process.argv[tl + 1]!,
      JSON.stringify({ timeline, samples, crawls: server.crawls, t0: T0 }),
    );
  if (server.errors.length)
    console.log(`\nserver errors logged: ${server.errors.length}\n${server.errors.slice(0, 3).join('\n')}`);
} finally {
  for (const c of clients) {
    c.stop();
    c.socket.close();
  }
  await server?.stop();
  await sim.stop();
}
process.exit(0);
