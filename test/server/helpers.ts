/**
 * Server test fixture: a simulated ring on loopback and a whole Ringwatch server (HTTP API, live stream,
 * auth, pipeline) on an ephemeral port with a temp SQLite file. Crawls run only when a test asks.
 */
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { systemClock } from '../../server/core/clock.js';
import { parseAlertingConfig } from '../../server/alert/config.js';
import type { Role } from '../../server/auth/types.js';
import { startServer, type RingwatchServer, type ServerOptions } from '../../server/server.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../server/sim/run.js';
import { post } from '../sim/helpers.js';

export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

export interface ServerFixture {
  sim: Simulator;
  server: RingwatchServer;
  url: string;
  dir: string;
  dbFile: string;
  /** Bearer tokens, one per role. */
  tokens: Record<Role, string>;
  /** fetch against the server with a role's token (or none: `role` null). */
  api(
    path: string,
    init?: { method?: string; body?: unknown; role?: Role | null; token?: string },
  ): Promise<{
    status: number;
    body: any;
    headers: Headers;
  }>;
  crawl(): Promise<number>;
  inject(fault: Record<string, unknown>): Promise<{ id: string; targets: number[]; targetIds: string[] }>;
}

export function baseOptions(dbFile: string, seeds: string[]): ServerOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    dbFile,
    seeds,
    allow: [],
    crawl: { schedule: '0 0 1 1 *', concurrency: 64, timeoutMs: 1000, maxNodes: 250_000, thread: 'worker' },
    retention: {
      schedule: '0 0 1 1 *',
      rawWindowMs: 48 * 3600_000,
      fiveMinuteWindowMs: 7 * 86400_000,
      hourlyWindowMs: 90 * 86400_000,
      findingWindowMs: 30 * 86400_000,
    },
    agents: { logToken: 'ringwatch-sim-token', logMaxBytes: 1_200_000, logTimeoutMs: 2000 },
    auth: { adminPassword: ADMIN_PASSWORD, sessionTtlMs: 3600_000, secureCookies: false, bcryptCost: 4 },
    bodyLimitBytes: 100 * 1024,
    rateLimitPerMinute: 1200,
    alerting: { ...parseAlertingConfig({}), channels: [] },
    trustProxy: false,
    shutdownTimeoutMs: 5000,
  };
}

export async function startFixture(
  t: TestContext,
  simOptions: Partial<SimulatorOptions> & { nodes: number },
  override: (o: ServerOptions) => ServerOptions = (o) => o,
  capture?: { logs: string[] },
): Promise<ServerFixture> {
  const sim = await startSimulator({ latencyMs: 5, stabilizeMs: 100, bootstrap: 'converged', ...simOptions });
  const dir = mkdtempSync(join(tmpdir(), 'rw-server-'));
  const dbFile = join(dir, 'ringwatch.db');
  const server = await startServer(override(baseOptions(dbFile, sim.seeds)), {
    clock: systemClock(),
    logger: capture
      ? pino({ level: 'trace' }, { write: (line: string) => void capture.logs.push(line) })
      : pino({ level: process.env.RINGWATCH_TEST_LOG ?? 'silent' }),
  });
  t.after(async () => {
    await server.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    tokens[role] = (await server.auth.createToken({ name: `test-${role}`, role })).token;
  }
  const api: ServerFixture['api'] = async (path, init = {}) => {
    const headers: Record<string, string> = {};
    const token = init.token ?? (init.role === null ? undefined : tokens[init.role ?? 'admin']);
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined
        ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }
        : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    sim,
    server,
    url: server.url,
    dir,
    dbFile,
    tokens,
    api,
    async crawl() {
      const s = await server.control.run();
      return s.crawlId;
    },
    async inject(fault) {
      const r = await post(`${sim.control}/faults`, fault);
      if (r.status !== 201) throw new Error(`inject failed: ${r.body}`);
      return (JSON.parse(r.body) as { fault: { id: string; targets: number[]; targetIds: string[] } }).fault;
    },
  };
}
