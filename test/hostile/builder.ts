/**
 * Building blocks of the hostile corpus: status documents (whole or with one array streamed), the
 * corpus' ID regions, and a case builder that starts each case's server and records the case.
 */
import type { Status } from '../../node-agent/schema.js';
import type { HostileCase, Placement } from './corpus.js';
import { httpServer, sendBody } from './servers.js';
import type { HttpHandler, Listening } from './servers.js';

/** Hostile IDs live in the f000… region, above every honest ID (see mixed-ring.ts). */
export const hostileId = (n: number): string => `f${n.toString(16).padStart(3, '0')}${'c'.repeat(36)}`;
/** IDs of the amplifier's claimed connections (d…) and of neighbours that do not exist (e…). */
export const ampChildId = (n: number): string => `d${n.toString(16).padStart(39, '0')}`;
export const ghostId = (n: number): string => `e${n.toString(16).padStart(39, '0')}`;

/** A minimal valid status document. */
export function statusDoc(nodeId: string, endpoint: string, parts: Partial<Status> = {}): Status {
  return {
    schema: 1,
    nodeId,
    endpoint,
    version: 'hostile/1',
    startedAt: '2024-01-01T00:00:00.000Z',
    now: new Date().toISOString(),
    ring: { left: [], right: [] },
    connections: [],
    traffic: { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 },
    process: { rssBytes: 1, heapUsedBytes: 1, cpuSeconds: 0, eventLoopLagMs: 0 },
    queue: { depth: 0 },
    threads: [],
    ...parts,
  };
}

/** One connection entry as JSON text. */
export const connectionJson = (peerId: string, endpoint: string): string =>
  `{"peerId":"${peerId}","endpoint":"${endpoint}","kind":"shortcut","rttMs":1,"ageSeconds":1,"bytesIn":0,"bytesOut":0}`;

/** Marks the array hugeArray generates. */
export const HUGE = '@@HUGE@@';

/** `doc` as JSON text pieces, with the value HUGE replaced by an array of `count` generated items. */
export function* hugeArray(doc: unknown, count: number, item: (i: number) => string): Generator<string> {
  const [head = '', tail = ''] = JSON.stringify(doc).split(`"${HUGE}"`);
  yield `${head}[`;
  for (let i = 0; i < count; i += 512) {
    let s = '';
    for (let k = i; k < Math.min(count, i + 512); k++) s += (k === 0 ? '' : ',') + item(k);
    yield s;
  }
  yield `]${tail}`;
}

/** Answers every request with `body(self)` (JSON unless a string) and the given status and type. */
export const answer =
  (body: (self: HostileCase) => unknown, status = 200, type = 'application/json') =>
  (self: HostileCase): HttpHandler =>
  (_req, res) =>
    sendBody(res, body(self), status, type);

/** A case before it has an endpoint. `id` defaults to the next hostile ID; `scheme` to http. */
export type CaseSpec = Omit<HostileCase, 'id' | 'endpoint' | 'server' | 'placement'> & {
  placement?: Placement;
  id?: string;
  scheme?: 'http' | 'https';
};

/**
 * Collects cases. Contract: add() records the case with the endpoint of its server (127.0.0.1, the
 * spec's scheme) or the given fixed endpoint; http() builds the handler from the finished case, so a
 * handler knows its own ID and endpoint; every server added or kept is closed by closeAll().
 */
export interface CaseBuilder {
  readonly cases: HostileCase[];
  add(spec: CaseSpec, start: Promise<Listening> | string): Promise<HostileCase>;
  http(spec: CaseSpec, respond: (self: HostileCase) => HttpHandler): Promise<HostileCase>;
  keep(server: Listening): Listening;
  closeAll(): Promise<void>;
}

export function createCaseBuilder(): CaseBuilder {
  const cases: HostileCase[] = [];
  const servers: Listening[] = [];
  let next = 0;
  const builder: CaseBuilder = {
    cases,
    async add(spec, start) {
      const server = typeof start === 'string' ? undefined : await start;
      if (server) servers.push(server);
      const { scheme = 'http', ...rest } = spec;
      const hc: HostileCase = {
        ...rest,
        id: spec.id ?? hostileId(next++),
        endpoint: server ? `${scheme}://127.0.0.1:${server.port}` : (start as string),
        placement: spec.placement ?? 'connection',
        ...(server ? { server } : {}),
      };
      cases.push(hc);
      return hc;
    },
    async http(spec, respond) {
      let handler: HttpHandler = (_req, res) => sendBody(res, 'not ready', 503, 'text/plain');
      const hc = await builder.add(
        spec,
        httpServer((req, res, stats) => handler(req, res, stats)),
      );
      handler = respond(hc);
      return hc;
    },
    keep(server) {
      servers.push(server);
      return server;
    },
    async closeAll() {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
  return builder;
}
