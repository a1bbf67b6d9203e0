/**
 * The Ringwatch server, assembled: pipeline (crawl → analyze → store → detect), crawl control,
 * scheduler, retention, auth, log puller, live hub, REST API and metrics, on one HTTP server. This is the
 * only place that knows every part; each part only knows the interfaces it is handed.
 */
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Server as IoServer } from 'socket.io';
import type { Clock } from './core/clock.js';
import type { CrawlThreadMode } from './core/model.js';
import { createAuth } from './auth/index.js';
import { actorOf, createAudit } from './auth/audit.js';
import type { Auth } from './auth/types.js';
import { createAllowList } from './crawl/index.js';
import type { DetectorConfigInput } from './detect/index.js';
import { createCrawlsRouter } from './api/crawls.js';
import { createLogsRouter } from './api/logs.js';
import { createNodesRouter } from './api/nodes.js';
import { createFindingsRouter } from './api/findings.js';
import { createRelaysRouter } from './api/relays.js';
import { createAuditRouter } from './api/audit.js';
import { createAlertsRouter } from './api/alerts.js';
import { createChannel, type ChannelConfig } from './alert/channels/index.js';
import type { AlertingConfig } from './alert/config.js';
import { createAlertEngine, type AlertEngine } from './alert/engine.js';
import { createNotifier, type RecordingNotifier } from './alert/notifier.js';
import { createHistoryRouter } from './api/history.js';
import { buildOpenApi } from './api/openapi.js';
import { createHttpApp, listRoutes, type Health } from './http/app.js';
import { createServerMetrics } from './http/metrics.js';
import { createLiveHub, type LiveHub } from './live/index.js';
import { createLogPuller } from './logs/puller.js';
import { createCrawlControl, type CrawlControl } from './pipeline/control.js';
import type { PipelineEvent } from './pipeline/crawl-pipeline.js';
import { openPipeline, type OpenPipeline } from './pipeline/open.js';
import { createScheduler, type Scheduler } from './schedule/scheduler.js';
import { createRetention } from './store/index.js';

/** Everything the server needs to know, already validated (see server/config). */
export interface ServerOptions {
  host: string;
  /** 0: an ephemeral port. */
  port: number;
  dbFile: string;
  seeds: string[];
  /** Networks the crawler (and log pulls) may reach; [] = the seeds' networks. */
  allow: string[];
  crawl: {
    schedule: string;
    concurrency: number;
    timeoutMs: number;
    maxNodes: number;
    thread: CrawlThreadMode;
  };
  detectors?: DetectorConfigInput;
  retention: {
    schedule: string;
    rawWindowMs: number;
    fiveMinuteWindowMs: number;
    hourlyWindowMs: number;
    findingWindowMs: number;
  };
  agents: { logToken?: string | undefined; logMaxBytes: number; logTimeoutMs: number };
  auth: {
    adminPassword?: string | undefined;
    sessionTtlMs: number;
    secureCookies: boolean;
    bcryptCost: number;
  };
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** API requests per client and minute (0: unlimited). */
  rateLimitPerMinute: number;
  shutdownTimeoutMs: number;
  webDir?: string;
  /** Alert rules and channels, validated (server/config `alerting`). */
  alerting: AlertingOptions;
}

export type AlertingOptions = Omit<AlertingConfig, 'channels'> & { channels: ChannelConfig[] };

export interface ServerDeps {
  clock: Clock;
  logger: Logger;
  /** Extra listeners of pipeline events (alerting hooks in here). */
  onEvent?: (e: PipelineEvent) => void;
}

/**
 * Contract: listen() binds the HTTP server and resolves its URL; startSchedule() arms the crawl and
 * retention jobs (and runs a first crawl now). close() is graceful and idempotent: stop scheduling,
 * stop accepting connections, let a running crawl finish within shutdownTimeoutMs or abort it (recorded
 * `aborted`), disconnect live clients, close the database.
 */
export interface RingwatchServer {
  url: string;
  auth: Auth;
  control: CrawlControl;
  hub: LiveHub;
  alerts: AlertEngine;
  notifier: RecordingNotifier;
  pipeline: OpenPipeline;
  /** Every /api/v1 route the app serves, `METHOD /path` (for the route-coverage tests). */
  routes: string[];
  scheduler: Scheduler;
  /** Set when this start created the admin user with a generated password (print it once). */
  generatedAdminPassword?: string;
  startSchedule(): void;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions, deps: ServerDeps): Promise<RingwatchServer> {
  const { clock, logger } = deps;
  const listeners: ((e: PipelineEvent) => void)[] = [];
  const emit = (e: PipelineEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        logger.error({ err }, 'pipeline event listener failed');
      }
    }
  };
  const open = await openPipeline(
    {
      db: opts.dbFile,
      seeds: opts.seeds,
      concurrency: opts.crawl.concurrency,
      timeoutMs: opts.crawl.timeoutMs,
      maxNodes: opts.crawl.maxNodes,
      thread: opts.crawl.thread,
      allow: opts.allow,
      ...(opts.detectors ? { detectors: opts.detectors } : {}),
    },
    { clock, emit },
  );
  const { db, store } = open;
  for (const id of store.abortedOnOpen)
    logger.warn({ crawlId: id }, 'crawl left running by a previous process marked aborted');

  const audit = createAudit(db, clock);
  const auth = await createAuth(
    { db, clock, logger, audit },
    {
      sessionTtlMs: opts.auth.sessionTtlMs,
      secureCookies: opts.auth.secureCookies,
      bcryptCost: opts.auth.bcryptCost,
    },
  );
  const admin = await auth.ensureAdmin(opts.auth.adminPassword);

  const control = createCrawlControl({
    pipeline: open.pipeline,
    onError: (err) => logger.error({ err }, 'crawl failed'),
    onTrigger: (actor, crawlId, strategy) =>
      void audit.record({ actor, action: 'crawl.trigger', target: String(crawlId), detail: { strategy } }),
  });
  const puller = createLogPuller(
    {
      db,
      clock,
      allow: createAllowList(open.allow),
      token: () => opts.agents.logToken,
      locate: async (key) => {
        const n = await store.nodeLatest(key);
        return n ? { endpoint: n.endpoint, nodeId: n.nodeId } : null;
      },
    },
    { timeoutMs: opts.agents.logTimeoutMs, maxBytes: opts.agents.logMaxBytes },
  );

  // The app's request listener must be registered BEFORE socket.io attaches: engine.io then hands it
  // only the requests that are not its own. Registered after, express also answered /socket.io/
  // polling requests (404), and engine.io's later write threw ERR_HTTP_HEADERS_SENT, killing the process.
  let app: RequestListener | null = null;
  const httpServer: HttpServer = createHttpServer((req, res) => app!(req, res));
  const io = new IoServer(httpServer, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
  const hub = createLiveHub({ io, auth, store, clock, logger });
  const notifier = createNotifier(
    { db, clock, logger },
    opts.alerting.channels.map((c) => createChannel(c, { clock })),
  );
  const alerts = createAlertEngine({
    db,
    clock,
    notifier,
    config: opts.alerting,
    logger,
    onChange: (c) => hub.publishAlert({ type: 'alert_changed', alert: c.alert }),
  });
  await alerts.start();
  const firing = () => alerts.firingCount();
  const metrics = createServerMetrics({
    firingAlerts: () => firing(),
    liveClients: () => hub.stats().clients,
  });

  listeners.push(
    (e) => control.observe(e),
    (e) => hub.publish(e),
    (e) => metrics.observe(e),
    (e) => {
      alerts.observe(e).catch((err: unknown) => logger.error({ err }, 'alert evaluation failed'));
    },
  );
  if (deps.onEvent) listeners.push(deps.onEvent);

  let closing = false;
  const health = async (): Promise<Health> => {
    const checks: Health['checks'] = {};
    try {
      await db.get('SELECT 1');
      checks.database = { ok: true };
    } catch (err) {
      checks.database = { ok: false, detail: (err as Error).message };
    }
    checks.accepting = closing ? { ok: false, detail: 'shutting down' } : { ok: true };
    const last = control.lastSummary();
    checks.crawler = {
      ok: true,
      detail: last ? `last crawl #${last.crawlId} ${last.state}` : 'no crawl yet',
    };
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  };

  const routers = [
    createCrawlsRouter({ auth, store, db, crawls: control, firingAlerts: () => firing() }),
    createHistoryRouter({ auth, db, clock }),
    createNodesRouter({ auth, store, clock }),
    createFindingsRouter({ auth, store }),
    createRelaysRouter({ auth, store }),
    createLogsRouter({
      auth,
      puller,
      audit,
      actorOf,
      onPulled: (p) =>
        hub.publishLogPull({
          nodeKey: p.nodeKey,
          pullId: String(p.id),
          requestedBy: p.requestedBy,
          lines: p.lines,
          bytes: p.bytes,
          at: p.requestedAt,
        }),
    }),
    createAuditRouter({ auth, audit }),
    createAlertsRouter({ auth, engine: alerts, notifier }),
  ];
  app = createHttpApp(
    { auth, metrics, routers, openapi: buildOpenApi, health, logger, clock },
    {
      bodyLimitBytes: opts.bodyLimitBytes,
      trustProxy: opts.trustProxy,
      rateLimitPerMinute: opts.rateLimitPerMinute,
      ...(opts.webDir ? { webDir: opts.webDir } : {}),
    },
  );
  httpServer.requestTimeout = 30_000;
  httpServer.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const addr = httpServer.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  const scheduler = createScheduler({
    now: () => clock.now(),
    onError: (job, err) => logger.error({ err, job }, 'scheduled job failed'),
  });
  const retention = createRetention({ db, clock, ...opts.retention });
  scheduler.add({
    name: 'crawl',
    schedule: opts.crawl.schedule,
    catchUp: true,
    run: async () => {
      const s = await control.run();
      logger.info(
        {
          crawlId: s.crawlId,
          state: s.state,
          reachable: s.reachable,
          discovered: s.discovered,
          consistency: s.consistency,
          rings: s.rings,
          durationMs: s.durationMs,
          analyzeMs: s.timings.analyze,
          persistMs: s.timings.persist,
        },
        'crawl finished',
      );
    },
  });
  scheduler.add({
    name: 'retention',
    schedule: opts.retention.schedule,
    run: async () => void (await retention.run()),
  });

  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${addr.port}`,
    auth,
    control,
    hub,
    alerts,
    notifier,
    pipeline: open,
    scheduler,
    routes: listRoutes([auth.router(), ...routers]),
    ...(admin.generatedPassword ? { generatedAdminPassword: admin.generatedPassword } : {}),
    startSchedule() {
      scheduler.start();
      scheduler.trigger('crawl');
    },
    close() {
      closed ??= (async () => {
        closing = true;
        await scheduler.stop();
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        await control.stop(opts.shutdownTimeoutMs);
        await alerts.stop();
        await notifier.close();
        await hub.close();
        await new Promise<void>((resolve) => void io.close(() => resolve()));
        httpServer.closeAllConnections();
        await stopped;
        await open.close();
        logger.info('server stopped');
      })();
      return closed;
    },
  };
}
