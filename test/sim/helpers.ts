/** Test helpers for the simulator's HTTP surface: plain HTTP calls with no connection reuse. */
import http from 'node:http';
import { StatusSchema, type Status } from '../../node-agent/schema.js';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection; rejects with the socket error code (ECONNREFUSED, ECONNRESET, TIMEOUT). */
export function request(
  method: string,
  url: string,
  body?: string,
  opts: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Type': 'application/json', ...(opts.headers ?? {}) };
    const req = http.request(url, { method, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 5000, () =>
      req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function get(
  url: string,
  opts: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  return request('GET', url, undefined, opts);
}

export async function status(endpoint: string): Promise<Status> {
  const r = await get(`${endpoint}/v1/status`);
  if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body}`);
  return StatusSchema.parse(JSON.parse(r.body));
}

export async function post(url: string, body: unknown): Promise<RawAnswer> {
  return request('POST', url, JSON.stringify(body));
}

export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'none';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

export interface ControlNode {
  index: number;
  nodeId: string;
  endpoint: string;
  alive: boolean;
}

export async function controlNodes(control: string): Promise<ControlNode[]> {
  const r = await get(`${control}/nodes`);
  return JSON.parse(r.body) as ControlNode[];
}

/** True when every alive node's L1, L2, R1, R2 (as served over HTTP) match the true ring of alive nodes. */
export async function ringConverged(control: string): Promise<boolean> {
  const nodes = (await controlNodes(control)).filter((n) => n.alive);
  const sorted = [...nodes].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  const n = sorted.length;
  const statuses = await Promise.all(sorted.map((x) => status(x.endpoint)));
  return statuses.every((s, i) => {
    const at = (k: number) => sorted[(((i + k) % n) + n) % n]!.nodeId;
    const want = { R1: at(1), R2: at(2), L1: at(-1), L2: at(-2) };
    return (
      s.ring.right[0]?.id === want.R1 &&
      s.ring.right[1]?.id === want.R2 &&
      s.ring.left[0]?.id === want.L1 &&
      s.ring.left[1]?.id === want.L2
    );
  });
}

/** Number of distinct cycles reached by following every alive node's R1 pointer (over HTTP). */
export async function ringsByR1(control: string): Promise<number> {
  const nodes = (await controlNodes(control)).filter((n) => n.alive);
  const right = new Map<string, string | undefined>();
  await Promise.all(
    nodes.map(async (n) => {
      const s = await status(n.endpoint);
      right.set(s.nodeId, s.ring.right[0]?.id);
    }),
  );
  const cycles = new Set<string>();
  for (const start of right.keys()) {
    const seen: string[] = [];
    const pos = new Map<string, number>();
    let at: string | undefined = start;
    while (at !== undefined && right.has(at) && !pos.has(at)) {
      pos.set(at, seen.length);
      seen.push(at);
      at = right.get(at);
    }
    if (at !== undefined && pos.has(at)) cycles.add([...seen.slice(pos.get(at))].sort()[0]!);
  }
  return cycles.size;
}
