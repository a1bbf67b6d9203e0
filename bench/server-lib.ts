/**
 * Benchmark plumbing for the whole server: run `ringwatch start` in its own process (so its event loop is
 * measured alone) from a temporary YAML configuration, log in, mint API tokens, time requests, scrape
 * /metrics, and summarise latencies. Used by bench/api.ts, bench/alert.ts and bench/load.ts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { ROOT, spawnRingwatch, type Spawned } from './lib.js';

export const ADMIN_PASSWORD = 'bench-admin-password-0123';

/** The ready line of `ringwatch sim`. */
export interface SimReady {
  seeds: string[];
  control: string;
  nodes: number;
}

/** A 10k-node (by default) converged simulated ring in its own process, as bench/crawl.ts runs it. */
export function spawnSim(nodes = 10_000, extra: string[] = []): Promise<Spawned<SimReady>> {
  const stabilize = nodes >= 10_000 ? ['--stabilize-ms', '5000'] : [];
  return spawnRingwatch<SimReady>([
    'sim',
    '--bootstrap',
    'converged',
    '--nodes',
    String(nodes),
    ...stabilize,
    ...extra,
  ]);
}

export interface BenchServerOptions {
  seeds: string[];
  /** Crawl schedule (node-cron); the server also crawls once at start. */
  schedule: string;
  rateLimitPerMinute: number;
  detectors?: Record<string, unknown>;
  alerting?: Record<string, unknown>;
  /** Crawl settings other than the defaults (concurrency 256, timeoutMs 3000). */
  crawl?: { concurrency?: number; timeoutMs?: number };
}

/** What GET /crawls/:id answers (the fields the benches read). */
export interface CrawlRecord {
  id: number;
  state: string;
  durationMs: number | null;
  discovered: number;
  reachable: number;
  unreachable: number;
}

/** One pino line of the server's "crawl finished" log. */
export interface CrawlLog {
  crawlId: number;
  state: string;
  durationMs: number;
  reachable: number;
  discovered: number;
  /** Ring analysis and recording after the crawl itself (ms). */
  analyzeMs: number;
  persistMs: number;
  /** Epoch ms the line was read. */
  at: number;
}

/**
 * Contract: a running `ringwatch start` child with an admin token. `errors` collects every server log
 * line at level error or above (a bench must report them); `crawls` every finished crawl, in order.
 * stop() sends SIGTERM, waits for exit and deletes the temporary directory.
 */
export interface BenchServer {
  url: string;
  pid: number;
  child: ChildProcess;
  adminToken: string;
  errors: string[];
  crawls: CrawlLog[];
  createTokens(n: number, role: 'viewer' | 'operator' | 'admin'): Promise<string[]>;
  /** Resolves with the first scheduled crawl whose id is ≥ `minId` (polls the log lines). */
  waitCrawl(minId: number, timeoutMs?: number): Promise<CrawlLog>;
  /** Triggers a crawl over the API and resolves with its record once it is no longer running. */
  crawlNow(timeoutMs?: number): Promise<CrawlRecord>;
  stop(): Promise<void>;
}

export async function spawnServer(o: BenchServerOptions): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-server-'));
  const config = {
    server: { host: '127.0.0.1', port: 0, rateLimitPerMinute: o.rateLimitPerMinute },
    database: { file: join(dir, 'ringwatch.db') },
    crawl: { seeds: o.seeds, schedule: o.schedule, ...o.crawl },
    retention: { schedule: '0 0 1 1 *' },
    simulator: { enabled: false },
    auth: { bcryptCost: 4 },
    log: { level: 'info' },
    ...(o.detectors ? { detectors: o.detectors } : {}),
    ...(o.alerting ? { alerting: o.alerting } : {}),
  };
  writeFileSync(join(dir, 'ringwatch.yaml'), stringify(config));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RINGWATCH_')) env[k] = v;
  env.RINGWATCH_ADMIN_PASSWORD = ADMIN_PASSWORD;
  const child = spawn(
    process.execPath,
    // BENCH_SERVER_NODE_ARGS: node flags for the server only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    [
      ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      'bin/ringwatch.js',
      'start',
      '--config',
      join(dir, 'ringwatch.yaml'),
    ],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const errors: string[] = [];
  const crawls: CrawlLog[] = [];
  // BENCH_SERVER_LOG=FILE: keep the server's whole log (JSON lines) for a post-mortem.
  const keep = process.env.BENCH_SERVER_LOG;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (keep) appendFileSync(keep, `${line}\n`);
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof rec.level === 'number' && rec.level >= 50) errors.push(line.slice(0, 2000));
    if (rec.msg === 'crawl finished')
      crawls.push({
        crawlId: rec.crawlId as number,
        state: rec.state as string,
        durationMs: rec.durationMs as number,
        reachable: rec.reachable as number,
        discovered: rec.discovered as number,
        analyzeMs: rec.analyzeMs as number,
        persistMs: rec.persistMs as number,
        at: Date.now(),
      });
  });
  const stderr = createInterface({ input: child.stderr });
  let url = '';
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start within 120 s')), 120_000);
      stderr.on('line', (line) => {
        const m = /Ringwatch is up: (http:\/\/\S+?)\/?$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        } else if (line.trim()) process.stderr.write(`[server] ${line}\n`);
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${String(code)} before ready`)));
    });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (!login.ok) throw new Error(`login: HTTP ${login.status}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const mint = async (auth: Record<string, string>, name: string, role: string) => {
    const r = await fetch(`${url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ name, role }),
    });
    if (r.status !== 201) throw new Error(`create token: HTTP ${r.status} ${await r.text()}`);
    return ((await r.json()) as { secret: string }).secret;
  };
  const adminToken = await mint({ cookie }, 'bench-admin', 'admin');
  let minted = 0;
  return {
    url,
    pid: child.pid!,
    child,
    adminToken,
    errors,
    crawls,
    async createTokens(n, role) {
      const out: string[] = [];
      for (let i = 0; i < n; i++)
        out.push(await mint({ authorization: `Bearer ${adminToken}` }, `bench-${role}-${++minted}`, role));
      return out;
    },
    async waitCrawl(minId, timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = crawls.find((x) => x.crawlId >= minId);
        if (c) return c;
        if (child.exitCode !== null) throw new Error('server exited');
        if (Date.now() > deadline) throw new Error(`no crawl ≥ #${minId} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async crawlNow(timeoutMs = 900_000) {
      const auth = { authorization: `Bearer ${adminToken}` };
      const r = await fetch(`${url}/api/v1/crawls`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}',
      });
      if (r.status !== 202) throw new Error(`trigger crawl: HTTP ${r.status} ${await r.text()}`);
      const { crawlId } = (await r.json()) as { crawlId: number };
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await new Promise((res) => setTimeout(res, 250));
        const c = await getJsonAuth<CrawlRecord>(`${url}/api/v1/crawls/${crawlId}`, adminToken);
        if (c.state !== 'running') return c;
        if (Date.now() > deadline) throw new Error(`crawl #${crawlId} still running after ${timeoutMs} ms`);
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Keep-alive HTTP client for the benches (no connection cap, like browsers' per-tab pools combined). */
export const http = new Agent({ keepAliveTimeout: 10_000, connections: null });

export interface Timed {
  status: number;
  bytes: number;
  ms: number;
  body: string;
}

/** GET `url` with a bearer token; never throws on HTTP status (network errors do throw). */
export async function timedGet(url: string, token?: string): Promise<Timed> {
  const t0 = performance.now();
  const r = await request(url, {
    dispatcher: http,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = await r.body.text();
  return { status: r.statusCode, bytes: Buffer.byteLength(body), ms: performance.now() - t0, body };
}

export async function getJsonAuth<T>(url: string, token: string): Promise<T> {
  const r = await timedGet(url, token);
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body) as T;
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Event-loop lag p99 over the last scrape interval (prom-client resets it per scrape) and RSS. */
export async function scrapeMetrics(url: string): Promise<{ lagP99Ms: number; rssBytes: number }> {
  const r = await timedGet(`${url}/metrics`);
  const val = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(r.body);
    return m ? Number(m[1]) : NaN;
  };
  return {
    lagP99Ms: val('nodejs_eventloop_lag_p99_seconds') * 1000,
    rssBytes: val('process_resident_memory_bytes'),
  };
}

/** RSS of a process from /proc (Linux), NaN elsewhere. */
export function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Slope (y per x) of the least-squares line through the points. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** `uptime` of this machine (load averages), for the results file. */
export function machineLoad(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'uptime unavailable';
  }
}

/** POSTs JSON with node's fetch; resolves status and text. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
}
