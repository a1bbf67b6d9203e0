/**
 * The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json. ROUTES is the one list of the
 * API's routes; a test compares it with the routes the express app really has, so neither can drift.
 */
import { z } from 'zod';
import { LogPullParamsSchema } from '../logs/puller.js';

type Access = 'public' | 'viewer' | 'operator' | 'admin';

export interface RouteDoc {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express-style path below /api/v1, e.g. /nodes/:id. */
  path: string;
  access: Access;
  summary: string;
  query?: Record<string, string>;
  body?: z.ZodType;
  /** Success status (default 200). */
  status?: number;
}

const page = { limit: 'page size, 1..1000 (default 100)', cursor: 'nextCursor of the previous page' };
const Login = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) });
const Role = z.enum(['viewer', 'operator', 'admin']);

export const ROUTES: RouteDoc[] = [
  {
    method: 'post',
    path: '/auth/login',
    access: 'public',
    summary: 'Log in; sets the session cookie',
    body: Login,
  },
  { method: 'post', path: '/auth/logout', access: 'public', summary: 'End the session' },
  { method: 'get', path: '/auth/me', access: 'viewer', summary: 'Who am I (user or token, role)' },
  { method: 'get', path: '/users', access: 'admin', summary: 'List users', query: page },
  {
    method: 'post',
    path: '/users',
    access: 'admin',
    summary: 'Create a user',
    status: 201,
    body: z.object({ username: z.string(), password: z.string().min(12), role: Role }),
  },
  {
    method: 'patch',
    path: '/users/:id',
    access: 'admin',
    summary: 'Change a user (role, password, disabled)',
    body: z.object({
      role: Role.optional(),
      password: z.string().min(12).optional(),
      disabled: z.boolean().optional(),
    }),
  },
  {
    method: 'delete',
    path: '/users/:id',
    access: 'admin',
    summary: 'Delete a user (kills its sessions and tokens)',
  },
  {
    method: 'get',
    path: '/tokens',
    access: 'admin',
    summary: 'List API tokens (never their secrets)',
    query: page,
  },
  {
    method: 'post',
    path: '/tokens',
    access: 'admin',
    summary: 'Create an API token; the secret is returned once',
    status: 201,
    body: z.object({ name: z.string(), role: Role, expiresAt: z.number().int().nullable().optional() }),
  },
  { method: 'delete', path: '/tokens/:id', access: 'admin', summary: 'Revoke an API token' },
  { method: 'get', path: '/summary', access: 'viewer', summary: 'Ring health at a glance' },
  {
    method: 'get',
    path: '/ring/history',
    access: 'viewer',
    summary:
      'The ring over time: nodes, reachable, consistency, rings, findings, crawl duration, joined, lost',
    query: { range: '15m|1h|6h|24h|7d|30d (default 24h)', untilMs: 'end, epoch ms', maxPoints: '10..5000' },
  },
  { method: 'get', path: '/crawls', access: 'viewer', summary: 'Crawl history, newest first', query: page },
  {
    method: 'post',
    path: '/crawls',
    access: 'operator',
    summary: 'Crawl now (409 crawl_running while one runs)',
    status: 202,
    body: z.object({ strategy: z.enum(['parallel', 'ring-walk']).optional() }),
  },
  { method: 'get', path: '/crawls/:id', access: 'viewer', summary: 'One crawl with its summary counts' },
  {
    method: 'get',
    path: '/crawls/:id/topology',
    access: 'viewer',
    summary: 'The ring as of that crawl: nodes with position and health, edges with kind',
    query: { connections: 'include connection edges (true|false, default true)' },
  },
  {
    method: 'get',
    path: '/nodes',
    access: 'viewer',
    summary: 'Nodes of the latest crawl plus lost nodes',
    query: {
      state: 'ok|inconsistent|persistent|stalled|unreachable|lost',
      prefix: 'node ID hex prefix',
      ...page,
    },
  },
  {
    method: 'get',
    path: '/nodes/:id',
    access: 'viewer',
    summary: 'Latest status, expected vs reported neighbours, findings and signals',
  },
  {
    method: 'get',
    path: '/nodes/:id/series',
    access: 'viewer',
    summary: 'Memory, CPU, bandwidth rates, queue depth, lag and score over time',
    query: {
      range: '1h|6h|24h|7d|30d',
      sinceMs: 'start, epoch ms',
      untilMs: 'end, epoch ms',
      maxPoints: 'at most',
    },
  },
  {
    method: 'post',
    path: '/nodes/:id/logs',
    access: 'operator',
    summary: "Pull logs from the node's agent now; stored and audited",
    status: 201,
    body: LogPullParamsSchema,
  },
  {
    method: 'get',
    path: '/nodes/:id/logs',
    access: 'viewer',
    summary: 'Earlier log pulls of a node',
    query: page,
  },
  { method: 'get', path: '/log-pulls/:pullId', access: 'viewer', summary: 'One log pull with its records' },
  {
    method: 'get',
    path: '/findings',
    access: 'viewer',
    summary: 'Congruence findings (open by default)',
    query: { status: 'open|all', kind: 'finding kind', node: 'node ID', ...page },
  },
  {
    method: 'get',
    path: '/signals',
    access: 'viewer',
    summary: 'Detector signals, active and past',
    query: page,
  },
  {
    method: 'get',
    path: '/relays',
    access: 'viewer',
    summary: 'Relay edges, relays ranked by relayed connections, relay vs direct RTT',
    query: { crawl: 'crawl id (default latest)' },
  },
  { method: 'get', path: '/audit', access: 'admin', summary: 'Audit log, newest first', query: page },
  {
    method: 'get',
    path: '/alerts',
    access: 'viewer',
    summary: 'Alerts, newest first (active by default)',
    query: {
      state: 'pending|firing|resolved|silenced|active|all (default active)',
      rule: 'rule name, e.g. RingSplit',
      node: 'node ID (40 hex)',
      ...page,
    },
  },
  {
    method: 'get',
    path: '/alerts/:fingerprint',
    access: 'viewer',
    summary: 'One alert (current or latest episode) with its event history',
  },
  {
    method: 'post',
    path: '/alerts/:fingerprint/ack',
    access: 'operator',
    summary: 'Acknowledge a firing alert (stops its reminders; 409 conflict when not firing)',
    body: z.object({ comment: z.string().max(4096).optional() }),
  },
  {
    method: 'get',
    path: '/silences',
    access: 'viewer',
    summary: 'Silences, newest first',
    query: { state: 'pending|active|expired', ...page },
  },
  {
    method: 'post',
    path: '/silences',
    access: 'operator',
    summary: 'Create a silence: label matchers (equality or anchored regex) between startsAt and endsAt',
    status: 201,
    body: z.object({
      matchers: z
        .array(
          z.object({
            name: z.string(),
            value: z.string(),
            isRegex: z.boolean().optional(),
            isEqual: z.boolean().optional(),
          }),
        )
        .min(1),
      startsAt: z.number().int().optional(),
      endsAt: z.number().int(),
      comment: z.string().optional(),
    }),
  },
  { method: 'delete', path: '/silences/:id', access: 'operator', summary: 'Expire a silence now' },
  {
    method: 'get',
    path: '/channels',
    access: 'viewer',
    summary: 'Notification channels: names and kinds (never their settings)',
    query: page,
  },
  {
    method: 'post',
    path: '/channels/:name/test',
    access: 'operator',
    summary: 'Send a test notification through one channel; answers { ok, error? }',
  },
  {
    method: 'get',
    path: '/notifications',
    access: 'viewer',
    summary: 'Notification deliveries, newest first: channel, status, attempts, sent or failed with reason',
    query: page,
  },
];

const ErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const errorRef = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

export function buildOpenApi(): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const oaPath = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [
      ...[...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...Object.entries(r.query ?? {}).map(([name, description]) => ({
        name,
        in: 'query',
        required: false,
        description,
        schema: { type: 'string' },
      })),
    ];
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: { description: 'OK', content: { 'application/json': {} } },
      '400': errorRef('bad_request: invalid parameters or body'),
    };
    if (r.access !== 'public') {
      responses['401'] = errorRef('unauthenticated');
      if (r.access !== 'viewer') responses['403'] = errorRef(`forbidden: needs role ${r.access}`);
    }
    (paths[oaPath] ??= {})[r.method] = {
      summary: r.summary,
      'x-ringwatch-role': r.access,
      ...(r.access === 'public' ? { security: [] } : {}),
      parameters: params,
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }),
                },
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ringwatch API',
      version: '1',
      description:
        'Ring health, crawl history and time travel, node drill-down, log pulls. Errors are always ' +
        '{ error: { code, message } }. Lists are paged with limit/cursor and answer { items, nextCursor }.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API token from `ringwatch token create`' },
        session: { type: 'apiKey', in: 'cookie', name: 'ringwatch_session' },
      },
      schemas: { Error: ErrorSchema },
    },
    paths,
  };
}
