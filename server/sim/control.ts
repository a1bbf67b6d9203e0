/**
 * The simulator's control API, for tests, benchmarks and people poking at a ring:
 *   GET    /nodes            [{ index, nodeId, endpoint, alive }]   (?alive=true|false filters)
 *   GET    /faults           active faults
 *   POST   /faults           inject one fault (JSON body, see docs/simulator.md) → 201 { fault }
 *   DELETE /faults/:id       clear a fault (undo where meaningful) → 204
 *   POST   /scenario         schedule a list of { atMs, fault } → 202
 *   GET    /stats            engine counters and process memory
 *   GET    /healthz
 * Errors are `{ error: { code, message } }`; bodies over 64 KiB are refused with 413.
 */
import type http from 'node:http';
import type { SimRing } from './engine/index.js';

const MAX_BODY = 64 * 1024;

export interface ControlDeps {
  ring: SimRing;
  endpoint(index: number): string;
}

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function fail(res: http.ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}

function readJson(req: http.IncomingMessage, res: http.ServerResponse, then: (body: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  req.on('data', (c: Buffer) => {
    if (done) return;
    size += c.length;
    if (size > MAX_BODY) {
      done = true;
      fail(res, 413, 'too_large', `request body over ${MAX_BODY} bytes`);
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (done) return;
    done = true;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      fail(res, 400, 'bad_json', 'request body is not valid JSON');
      return;
    }
    then(body);
  });
}

/** Returns a request handler for the control routes; answers 404 for anything else. */
export function createControlHandler(
  deps: ControlDeps,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const { ring } = deps;
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/healthz' && method === 'GET') return send(res, 200, { ok: true });
    if (path === '/nodes' && method === 'GET') {
      const filter = url.searchParams.get('alive');
      if (filter !== null && filter !== 'true' && filter !== 'false')
        return fail(res, 400, 'bad_query', 'alive must be true or false');
      const out: { index: number; nodeId: string; endpoint: string; alive: boolean }[] = [];
      for (let i = 0; i < ring.size; i++) {
        const alive = ring.alive(i);
        if (filter !== null && String(alive) !== filter) continue;
        out.push({ index: i, nodeId: ring.nodeId(i), endpoint: deps.endpoint(i), alive });
      }
      return send(res, 200, out);
    }
    if (path === '/faults' && method === 'GET') return send(res, 200, ring.faults());
    if (path === '/faults' && method === 'POST') {
      return readJson(req, res, (body) => {
        const r = ring.injectFault(body);
        if (r.ok) send(res, 201, { fault: r.fault });
        else fail(res, 400, r.error.code, r.error.message);
      });
    }
    const m = /^\/faults\/([^/]+)$/.exec(path);
    if (m && method === 'DELETE') {
      return ring.clearFault(decodeURIComponent(m[1] ?? ''))
        ? send(res, 204)
        : fail(res, 404, 'not_found', 'no active fault with that id');
    }
    if (path === '/scenario' && method === 'POST') {
      return readJson(req, res, (body) => {
        const r = ring.schedule(body);
        if (r.ok) send(res, 202, { scheduled: r.scheduled });
        else fail(res, 400, r.error.code, r.error.message);
      });
    }
    if (path === '/stats' && method === 'GET') {
      const mem = process.memoryUsage();
      return send(res, 200, { ...ring.stats(), rssBytes: mem.rss, heapUsedBytes: mem.heapUsed });
    }
    const known = ['/healthz', '/nodes', '/faults', '/scenario', '/stats'].includes(path) || m !== null;
    return known
      ? fail(res, 405, 'method_not_allowed', `${method} not allowed here`)
      : fail(res, 404, 'not_found', 'no such route');
  };
}
