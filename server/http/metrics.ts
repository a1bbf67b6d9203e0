/**
 * The server's own Prometheus metrics (GET /metrics): crawls, ring health, HTTP latencies, live clients,
 * alerts and the process (event-loop lag included). One registry per server instance, no global state.
 */
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineEvent } from '../pipeline/crawl-pipeline.js';

/**
 * Contract: observe() takes every pipeline event; httpMiddleware() times every request by its route
 * pattern (never the raw path, so cardinality stays bounded); handler() serves the text exposition.
 */
export interface ServerMetrics {
  registry: Registry;
  observe(event: PipelineEvent): void;
  httpMiddleware(): RequestHandler;
  handler(): RequestHandler;
}

export interface ServerMetricsDeps {
  /** Sampled at scrape time. */
  firingAlerts?(): Promise<number> | number;
  liveClients?(): number;
}

export function createServerMetrics(deps: ServerMetricsDeps = {}): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const crawlDuration = new Histogram({
    name: 'ringwatch_crawl_duration_seconds',
    help: 'Duration of finished crawls (crawl, analysis and persistence)',
    labelNames: ['strategy', 'state'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers: [registry],
  });
  const crawls = new Counter({
    name: 'ringwatch_crawls_total',
    help: 'Finished crawls by final state',
    labelNames: ['state'],
    registers: [registry],
  });
  const nodes = new Gauge({
    name: 'ringwatch_nodes',
    help: 'Nodes of the last finished crawl by reachability',
    labelNames: ['reachability'],
    registers: [registry],
  });
  const consistency = new Gauge({
    name: 'ringwatch_ring_consistency_ratio',
    help: 'Mean neighbour-congruence score of the last recorded crawl (0..1)',
    registers: [registry],
  });
  const rings = new Gauge({
    name: 'ringwatch_rings',
    help: 'Rings found by following successors in the last recorded crawl (1 = whole)',
    registers: [registry],
  });
  const findings = new Gauge({
    name: 'ringwatch_findings',
    help: 'Findings of the last recorded crawl by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  const visitErrors = new Gauge({
    name: 'ringwatch_visit_errors',
    help: 'Failed visits of the last finished crawl by error kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  new Gauge({
    name: 'ringwatch_alerts_firing',
    help: 'Alerts firing now',
    registers: [registry],
    async collect() {
      this.set(deps.firingAlerts ? await deps.firingAlerts() : 0);
    },
  });
  new Gauge({
    name: 'ringwatch_live_clients',
    help: 'Connected live-stream clients',
    registers: [registry],
    collect() {
      this.set(deps.liveClients ? deps.liveClients() : 0);
    },
  });
  const http = new Histogram({
    name: 'ringwatch_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  return {
    registry,
    observe(e) {
      if (e.type !== 'crawl_finished') return;
      const s = e.summary;
      crawls.inc({ state: s.state });
      crawlDuration.observe({ strategy: s.strategy, state: s.state }, s.durationMs / 1000);
      nodes.set({ reachability: 'reachable' }, s.reachable);
      nodes.set({ reachability: 'unreachable' }, s.unreachable);
      visitErrors.reset();
      for (const [kind, n] of Object.entries(s.errors)) visitErrors.set({ kind }, n ?? 0);
      if (s.state !== 'succeeded') return;
      consistency.set(s.consistency);
      rings.set(s.rings);
      findings.reset();
      for (const [kind, n] of Object.entries(s.findings)) findings.set({ kind }, n ?? 0);
    },
    httpMiddleware() {
      return (req, res, next) => {
        const start = process.hrtime.bigint();
        res.on('finish', () => {
          const route = (req.route as { path?: string } | undefined)?.path;
          const pattern = route ? `${req.baseUrl}${route}` : req.baseUrl || 'unmatched';
          http.observe(
            { method: req.method, route: pattern, status: String(res.statusCode) },
            Number(process.hrtime.bigint() - start) / 1e9,
          );
        });
        next();
      };
    },
    handler() {
      return (_req, res, next) => {
        registry.metrics().then((text) => {
          res.type(registry.contentType).send(text);
        }, next);
      };
    },
  };
}
