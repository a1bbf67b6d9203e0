/**
 * Prometheus exposition of a status document through prom-client. Each agent gets its own Registry,
 * created on its first /metrics request; the metrics' collect() callbacks read the status snapshot
 * taken for that request, so nothing is updated between scrapes.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { ConnectionKindSchema } from './schema.js';
import type { Status } from './schema.js';

/** Renders a status document as Prometheus text; `contentType` is the registry's exposition type. */
export interface MetricsExporter {
  readonly contentType: string;
  render(status: Status): Promise<string>;
}

export function createMetricsExporter(): MetricsExporter {
  const registry = new Registry();
  let current: Status | undefined;
  const registers = [registry];

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (g: Gauge<L>, s: Status) => void,
  ) => {
    const g: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect: () => {
        g.reset();
        if (current) fill(g, current);
      },
    });
  };
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (c: Counter<L>, s: Status) => void,
  ) => {
    const c: Counter<L> = new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect: () => {
        c.reset();
        if (current) fill(c, current);
      },
    });
  };
  const nonNeg = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);

  gauge('ringwatch_node_info', 'Identity of this node; always 1.', ['node_id', 'version'], (g, s) =>
    g.set({ node_id: s.nodeId, version: s.version }, 1),
  );
  gauge(
    'ringwatch_node_start_time_seconds',
    'Start time of the node, seconds since the Unix epoch.',
    [],
    (g, s) => g.set(Date.parse(s.startedAt) / 1000),
  );
  counter(
    'ringwatch_node_traffic_bytes_total',
    'Overlay bytes received (in) and sent (out).',
    ['direction'],
    (c, s) => {
      c.inc({ direction: 'in' }, nonNeg(s.traffic.bytesIn));
      c.inc({ direction: 'out' }, nonNeg(s.traffic.bytesOut));
    },
  );
  counter(
    'ringwatch_node_traffic_packets_total',
    'Overlay packets received (in) and sent (out).',
    ['direction'],
    (c, s) => {
      c.inc({ direction: 'in' }, nonNeg(s.traffic.packetsIn));
      c.inc({ direction: 'out' }, nonNeg(s.traffic.packetsOut));
    },
  );
  gauge('ringwatch_node_connections', 'Open overlay connections by kind.', ['kind'], (g, s) => {
    for (const kind of ConnectionKindSchema.options)
      g.set({ kind }, s.connections.filter((c) => c.kind === kind).length);
  });
  gauge(
    'ringwatch_node_ring_neighbors',
    'Known ring neighbours per side (left = predecessors).',
    ['side'],
    (g, s) => {
      g.set({ side: 'left' }, s.ring.left.length);
      g.set({ side: 'right' }, s.ring.right.length);
    },
  );
  gauge('ringwatch_node_rss_bytes', 'Resident set size of the node process.', [], (g, s) =>
    g.set(s.process.rssBytes),
  );
  gauge('ringwatch_node_heap_used_bytes', 'Heap in use by the node process.', [], (g, s) =>
    g.set(s.process.heapUsedBytes),
  );
  counter('ringwatch_node_cpu_seconds_total', 'User plus system CPU time of the node process.', [], (c, s) =>
    c.inc(nonNeg(s.process.cpuSeconds)),
  );
  gauge(
    'ringwatch_node_event_loop_lag_seconds',
    'Event-loop (or main loop) lag of the node process.',
    [],
    (g, s) => g.set(s.process.eventLoopLagMs / 1000),
  );
  gauge('ringwatch_node_queue_depth', "Messages waiting in the node's internal queue.", [], (g, s) =>
    g.set(s.queue.depth),
  );
  gauge('ringwatch_node_threads', 'Worker threads by liveness state.', ['state'], (g, s) => {
    for (const state of ['running', 'waiting', 'stalled'] as const) {
      g.set({ state }, s.threads.filter((t) => t.state === state).length);
    }
  });
  gauge(
    'ringwatch_node_thread_stalled',
    '1 when the worker thread is stalled, else 0.',
    ['thread'],
    (g, s) => {
      for (const t of s.threads) g.set({ thread: t.name }, t.state === 'stalled' ? 1 : 0);
    },
  );
  gauge(
    'ringwatch_node_thread_last_beat_age_seconds',
    'Seconds since the worker thread last beat.',
    ['thread'],
    (g, s) => {
      const now = Date.parse(s.now);
      for (const t of s.threads)
        g.set({ thread: t.name }, Math.max(0, (now - Date.parse(t.lastBeatAt)) / 1000));
    },
  );

  return {
    get contentType() {
      return registry.contentType;
    },
    async render(status: Status): Promise<string> {
      current = status;
      try {
        return await registry.metrics();
      } finally {
        if (current === status) current = undefined;
      }
    },
  };
}
