/**
 * The HTTP face of the server: one express app with, in order, request metrics, security headers,
 * unauthenticated probes (/healthz, /metrics, the OpenAPI document), the auth routes, then every other
 * /api/v1 route behind authentication, the web dashboard's static files, and the error handler.
 */
import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Auth } from '../auth/types.js';
import type { Clock } from '../core/clock.js';
import { requestLimiter, sameOriginForCookies } from './guards.js';
import { errorHandler, notFound } from './errors.js';
import type { ServerMetrics } from './metrics.js';

/** What /healthz reports; `ok` false answers 503. */
export interface Health {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface HttpAppDeps {
  auth: Auth;
  metrics: ServerMetrics;
  /** Mounted at /api/v1 behind authentication, in order. */
  routers: Router[];
  openapi: () => unknown;
  health(): Promise<Health>;
  logger: Logger;
  clock: Clock;
}

export interface HttpAppOptions {
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** API requests per client and minute; 0: unlimited. */
  rateLimitPerMinute: number;
  /** Directory of the built dashboard, served at /; none: no dashboard. */
  webDir?: string;
}

export function createHttpApp(deps: HttpAppDeps, opts: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy);
  app.use(deps.metrics.httpMiddleware());
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'object-src': ["'none'"],
          'frame-ancestors': ["'none'"],
        },
      },
    }),
  );

  app.get('/healthz', (_req, res, next) => {
    deps.health().then((h) => res.status(h.ok ? 200 : 503).json(h), next);
  });
  app.get('/metrics', deps.metrics.handler());
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(deps.openapi());
  });

  const api = express.Router();
  // Per principal, after authentication (logins have their own limiter in auth).
  const limiter = requestLimiter({ clock: deps.clock, perMinute: opts.rateLimitPerMinute });
  api.use(sameOriginForCookies());
  api.use(express.json({ limit: opts.bodyLimitBytes, strict: true }));
  api.use(deps.auth.router());
  api.use(deps.auth.middleware());
  api.use(limiter);
  for (const r of deps.routers) api.use(r);
  api.use(notFound);
  app.use('/api/v1', api);

  if (opts.webDir) {
    app.use(express.static(opts.webDir, { index: 'index.html', maxAge: '1h' }));
    // Client-side routes: any other GET that is not an API path gets the app shell.
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => {
      res.sendFile('index.html', { root: opts.webDir! });
    });
  }
  app.use(notFound);
  app.use(
    errorHandler((err, req) => {
      deps.logger.error({ err, method: req.method, url: req.url }, 'request failed');
    }),
  );
  return app;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route of routers mounted without a path prefix (nested routers included), as `METHOD /path`. */
export function listRoutes(routers: readonly Router[]): string[] {
  const out: string[] = [];
  const walk = (stack: readonly Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const m of Object.keys(layer.route.methods))
          for (const p of paths) out.push(`${m.toUpperCase()} ${p}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  for (const r of routers) walk((r as unknown as { stack: Layer[] }).stack);
  return [...new Set(out)].sort();
}
