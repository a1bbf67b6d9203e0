/**
 * The simulator's HTTP host: wraps every simulated node in a real node-agent reachable over loopback.
 *
 * Endpoint modes (a node visit always costs what it would across a network):
 * - `ports`: every node listens on its own port (`http://127.0.0.1:PORT`). Connections are never shared
 *   between two nodes because they are different origins; idle keep-alive sockets are closed after 2 s so
 *   10,000 listeners plus a crawler's sockets stay under the 20,000 open-files limit.
 * - `paths`: all nodes share one listener under path prefixes (`http://127.0.0.1:PORT/n/INDEX`) and every
 *   response carries `Connection: close`, so each visit pays a fresh TCP connection. This is how 100,000
 *   nodes fit in one process. A dead node resets the connection here (a closed port would refuse it).
 */
import http from 'node:http';
import net from 'node:net';
import { createAgent, type Agent } from '../../node-agent/index.js';
import type { Clock } from '../core/clock.js';
import type { NodeHooks, SimRing } from './engine/index.js';

export type EndpointMode = 'ports' | 'paths';

export interface SimHostOptions {
  mode: EndpointMode;
  host: string;
  /** ports mode: node i listens on basePort + i; 0 = ephemeral ports (kept across restarts). */
  basePort: number;
  /** paths mode: the shared listener's port (0 = ephemeral). */
  sharedPort: number;
  logToken: string;
  version: string;
  /** Extra delay before every answer: 'rtt' = the node's RTT from the crawler's host, or a fixed ms. */
  answerDelay: 'none' | 'rtt' | number;
  /** paths mode: requests outside /n/ go here (the control API shares the port). */
  fallback?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/**
 * Contract: hooks() must be handed to the engine before start(); listen() resolves once every live node
 * answers; endpoint(i) is stable for the host's life, including across node restarts; close() is idempotent
 * and destroys all sockets, including ones held open by `hang` faults.
 */
export interface SimHost {
  readonly hooks: NodeHooks;
  attach(ring: SimRing): void;
  listen(): Promise<void>;
  endpoint(index: number): string;
  /** paths mode: the shared listener's port once listening. */
  port(): number;
  close(): Promise<void>;
}

interface Slot {
  agent: Agent | null;
  listener: net.Server | null;
  port: number;
  /** Pending (re)listen after a restart, so a down() that follows cancels it. */
  wantUp: boolean;
}

export function createSimHost(opts: SimHostOptions, deps: { clock: Clock }): SimHost {
  let ring: SimRing | null = null;
  const slots: Slot[] = [];
  const sockets = new Set<net.Socket>();
  let sharedPort = opts.sharedPort;
  let closed = false;

  const http1 = http.createServer({ keepAliveTimeout: 2000, requestTimeout: 30_000 }, (req, res) => {
    route(req, res);
  });
  http1.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  http1.on('clientError', (_err, socket) => socket.destroy());
  const shared: net.Server | null = opts.mode === 'paths' ? http1 : null;

  function need(): SimRing {
    if (!ring) throw new Error('sim host: attach(ring) before use');
    return ring;
  }

  function endpoint(index: number): string {
    if (opts.mode === 'paths') return `http://${opts.host}:${sharedPort}/n/${index}`;
    const slot = slots[index];
    const port = slot && slot.port !== 0 ? slot.port : opts.basePort ? opts.basePort + index : 0;
    return `http://${opts.host}:${port}`;
  }

  function slot(index: number): Slot {
    let s = slots[index];
    if (!s) {
      s = { agent: null, listener: null, port: opts.basePort ? opts.basePort + index : 0, wantUp: false };
      slots[index] = s;
    }
    return s;
  }

  function makeAgent(index: number): Agent {
    const r = need();
    let memoAt = -1;
    let memo = r.snapshot(index);
    const snap = () => {
      const t = deps.clock.now();
      if (t !== memoAt) {
        memo = r.snapshot(index);
        memoAt = t;
      }
      return memo;
    };
    const agent = createAgent({
      nodeId: r.reportedId(index),
      endpoint: endpoint(index),
      version: opts.version,
      now: () => deps.clock.now(),
      startedAt: r.snapshot(index).startedAt,
      logToken: opts.logToken,
      logCapacity: { records: 200, bytes: 32 * 1024 },
      // The engine's snapshots are well-formed by construction; clients validate what they receive.
      validateStatus: false,
      view: () => {
        const s = snap();
        return {
          left: s.ring.left.map((p) => ({ id: p.id, endpoint: endpoint(p.index) })),
          right: s.ring.right.map((p) => ({ id: p.id, endpoint: endpoint(p.index) })),
          connections: s.connections.map((c) => ({
            peerId: c.peerId,
            endpoint: endpoint(c.peer),
            kind: c.kind,
            ...(c.via ? { via: c.via } : {}),
            rttMs: c.rttMs,
            ageSeconds: c.ageSeconds,
            bytesIn: c.bytesIn,
            bytesOut: c.bytesOut,
          })),
        };
      },
      traffic: () => snap().traffic,
      processStats: () => snap().process,
      queueDepth: () => snap().queueDepth,
    });
    for (const name of r.threads()) agent.liveness(name, { deadlineMs: r.threadDeadlineMs(name) }).beat();
    return agent;
  }

  function answer(index: number, req: http.IncomingMessage, res: http.ServerResponse, subPath: string): void {
    const r = need();
    const s = slots[index];
    const mode = r.answerMode(index);
    if (!s?.agent || mode.kind === 'down') {
      req.socket.destroy();
      return;
    }
    const agent = s.agent;
    if (opts.mode === 'paths') res.setHeader('Connection', 'close');
    const base =
      opts.answerDelay === 'none' ? 0 : opts.answerDelay === 'rtt' ? r.crawlerRttMs(index) : opts.answerDelay;
    switch (mode.kind) {
      case 'hang':
        return; // keep the socket open and never answer; close() destroys it
      case 'garbage':
        delay(base, () => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"schema":1,"nodeId":"' + r.nodeId(index).slice(0, 12) + '",,"ring":{[');
        });
        return;
      case 'slow':
      case 'normal': {
        const wait = base + (mode.kind === 'slow' ? mode.delayMs : 0);
        delay(wait, () => {
          if (res.destroyed) return;
          agent.setNodeId(r.reportedId(index));
          agent.handle(req, res, subPath);
        });
        return;
      }
    }
  }

  function delay(ms: number, fn: () => void): void {
    if (ms <= 0) fn();
    else deps.clock.setTimeout(fn, ms);
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (opts.mode === 'ports') {
      const index = portIndex.get(req.socket.localPort ?? -1);
      if (index === undefined) {
        req.socket.destroy();
        return;
      }
      answer(index, req, res, (req.url ?? '/').split('?')[0] ?? '/');
      return;
    }
    const m = /^\/n\/(\d+)(\/[^?]*)?/.exec(req.url ?? '');
    if (!m && opts.fallback) {
      opts.fallback(req, res);
      return;
    }
    const index = m ? Number(m[1]) : -1;
    if (!m || index >= need().size) {
      res.writeHead(404, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'no such simulated node' } }));
      return;
    }
    answer(index, req, res, m[2] ?? '/');
  }

  const portIndex = new Map<number, number>();

  function openListener(index: number, s: Slot, attempt = 0): Promise<void> {
    return new Promise((resolve) => {
      const srv = net.createServer((sock) => http1.emit('connection', sock));
      srv.once('error', (err: NodeJS.ErrnoException) => {
        // A freed port can be taken meanwhile (e.g. as another socket's ephemeral port): retry, as a
        // real node coming back would.
        if (err.code === 'EADDRINUSE' && attempt < 60 && !closed) {
          deps.clock.setTimeout(() => void openListener(index, s, attempt + 1).then(resolve), 500);
        } else resolve();
      });
      srv.listen({ port: s.port, host: opts.host, backlog: 511 }, () => {
        if (!s.wantUp || closed) {
          srv.close();
          resolve();
          return;
        }
        const addr = srv.address() as net.AddressInfo;
        s.port = addr.port;
        s.listener = srv;
        portIndex.set(addr.port, index);
        resolve();
      });
    });
  }

  const hooks: NodeHooks = {
    up(index) {
      const s = slot(index);
      s.agent?.close();
      s.wantUp = true;
      if (opts.mode === 'ports' && !s.listener && listening) void openListener(index, s);
      s.agent = makeAgent(index);
    },
    down(index) {
      const s = slot(index);
      s.wantUp = false;
      s.agent?.close();
      s.agent = null;
      if (s.listener) {
        s.listener.close();
        s.listener = null;
      }
    },
    beat(index, thread) {
      slots[index]?.agent?.liveness(thread, { deadlineMs: need().threadDeadlineMs(thread) }).beat();
    },
    log(index, level, msg, fields) {
      slots[index]?.agent?.log(level, msg, fields);
    },
  };

  let listening = false;

  return {
    hooks,
    attach(r) {
      ring = r;
    },
    async listen() {
      const r = need();
      if (shared) {
        await new Promise<void>((resolve, reject) => {
          shared.once('error', reject);
          shared.listen({ port: opts.sharedPort, host: opts.host, backlog: 4096 }, () => resolve());
        });
        sharedPort = (shared.address() as net.AddressInfo).port;
      }
      listening = true;
      if (opts.mode === 'ports') {
        // Every endpoint exists before the ring starts, so agents and views are created with final URLs.
        const batch = 256;
        for (let i = 0; i < r.size; i += batch) {
          const work: Promise<void>[] = [];
          for (let j = i; j < Math.min(r.size, i + batch); j++) {
            const s = slot(j);
            s.wantUp = true;
            if (!s.listener) work.push(openListener(j, s));
          }
          await Promise.all(work);
        }
      }
    },
    endpoint,
    port: () => sharedPort,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of slots) {
        s.wantUp = false;
        s.agent?.close();
        s.listener?.close();
      }
      for (const sock of sockets) sock.destroy();
      if (shared?.listening) await new Promise<void>((r) => shared.close(() => r()));
      http1.closeAllConnections();
    },
  };
}
