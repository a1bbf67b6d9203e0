/**
 * Starts a complete simulated ring: engine + HTTP host + control API. Used by `ringwatch sim`, by the
 * server's embedded default ring, by tests and by benchmarks.
 */
import http from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type net from 'node:net';
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.js';
import { createLatencyModel, createSimRing, type SimRing } from './engine/index.js';
import { createControlHandler } from './control.js';
import { createSimHost } from './host.js';

/** The real PlanetLab RTT matrix shipped beside the repository, used by default when present. */
export const DEFAULT_MATRIX = fileURLToPath(
  new URL('../../../shared/data/latency/rtt_matrix.txt', import.meta.url),
);

export const SimulatorOptionsSchema = z
  .object({
    nodes: z.number().int().min(1).max(200_000),
    port: z.number().int().min(0).max(65535).default(0),
    host: z.string().default('127.0.0.1'),
    /** Default: one port per node up to 10,000 nodes, shared listener with path prefixes above. */
    endpoints: z.enum(['ports', 'paths']).optional(),
    basePort: z.number().int().min(0).max(65535).default(0),
    seed: z.number().int().default(1),
    latencyMs: z.number().nonnegative().optional(),
    latencyMatrix: z.string().optional(),
    answerDelay: z.union([z.literal('none'), z.literal('rtt'), z.number().nonnegative()]).default('none'),
    stabilizeMs: z.number().int().min(10).default(1000),
    /** Keep-alive ping period per connection (15 s in the reference deployment). */
    keepAliveMs: z.number().int().min(100).default(15_000),
    nat: z.number().min(0).max(1).default(0.2),
    relaySelection: z.enum(['latency', 'age']).default('latency'),
    shortcuts: z.number().int().min(0).max(64).optional(),
    churn: z.number().nonnegative().default(0),
    bootstrap: z.enum(['join', 'converged']).default('join'),
    scenario: z.unknown().optional(),
    logToken: z.string().min(8).default('ringwatch-sim-token'),
    /** Deadline of every simulated thread (a stalled one is reported after it). */
    threadDeadlineMs: z.number().int().positive().default(5000),
  })
  .refine((o) => o.basePort === 0 || o.basePort + o.nodes <= 65535, {
    message: 'basePort + nodes must stay below 65536',
    path: ['basePort'],
  });
export type SimulatorOptions = z.input<typeof SimulatorOptionsSchema>;

/** Contract: close() stops the engine, closes every listener and socket, and is idempotent. */
export interface Simulator {
  readonly seeds: string[];
  readonly control: string;
  readonly logToken: string;
  readonly ring: SimRing;
  endpoint(index: number): string;
  close(): Promise<void>;
}

export async function startSimulator(
  input: SimulatorOptions,
  deps: { clock?: Clock } = {},
): Promise<Simulator> {
  const opts = SimulatorOptionsSchema.parse(input);
  const clock = deps.clock ?? systemClock();
  const mode = opts.endpoints ?? (opts.nodes <= 10_000 ? 'ports' : 'paths');
  const matrix =
    opts.latencyMs === undefined
      ? (opts.latencyMatrix ?? (existsSync(DEFAULT_MATRIX) ? DEFAULT_MATRIX : undefined))
      : undefined;
  const latency = createLatencyModel({
    seed: opts.seed,
    ...(matrix ? { matrixFile: matrix } : { latencyMs: opts.latencyMs ?? 50 }),
  });

  let control: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined = undefined;
  const host = createSimHost(
    {
      mode,
      host: opts.host,
      basePort: opts.basePort,
      sharedPort: opts.port,
      logToken: opts.logToken,
      version: 'ringwatch-sim/0.1.0',
      answerDelay: opts.answerDelay,
      fallback: (req, res) => control?.(req, res),
    },
    { clock },
  );
  const ring = createSimRing(
    {
      nodes: opts.nodes,
      seed: opts.seed,
      latency,
      stabilizeMs: opts.stabilizeMs,
      keepAliveMs: opts.keepAliveMs,
      natFraction: opts.nat,
      relaySelection: opts.relaySelection,
      ...(opts.shortcuts !== undefined ? { shortcuts: opts.shortcuts } : {}),
      churnPerHour: opts.churn,
      bootstrap: opts.bootstrap,
      threadDeadlineMs: opts.threadDeadlineMs,
      beatIntervalMs: Math.min(1000, Math.floor(opts.threadDeadlineMs / 4)),
    },
    { clock, hooks: host.hooks },
  );
  host.attach(ring);
  control = createControlHandler({ ring, endpoint: (i) => host.endpoint(i) });

  let controlServer: http.Server | null = null;
  let controlUrl: string;
  try {
    await host.listen();
    if (mode === 'ports') {
      const srv = http.createServer(control);
      controlServer = srv;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port: opts.port, host: opts.host }, () => resolve());
      });
      controlUrl = `http://${opts.host}:${(srv.address() as net.AddressInfo).port}`;
    } else {
      controlUrl = `http://${opts.host}:${host.port()}`;
    }
    ring.start();
    if (opts.scenario !== undefined) {
      const r = ring.schedule(opts.scenario);
      if (!r.ok) throw new Error(`scenario: ${r.error.message}`);
    }
    await ring.ready();
  } catch (err) {
    ring.stop();
    await host.close();
    controlServer?.close();
    throw err;
  }

  const seeds: string[] = [];
  for (let i = 0; i < ring.size && seeds.length < 3; i += Math.max(1, Math.floor(ring.size / 3))) {
    if (ring.alive(i)) seeds.push(host.endpoint(i));
  }
  let closed = false;
  return {
    seeds,
    control: controlUrl,
    logToken: opts.logToken,
    ring,
    endpoint: (i) => host.endpoint(i),
    async close() {
      if (closed) return;
      closed = true;
      ring.stop();
      await host.close();
      if (controlServer) {
        controlServer.closeAllConnections();
        const srv = controlServer;
        await new Promise<void>((r) => srv.close(() => r()));
      }
    },
  };
}
