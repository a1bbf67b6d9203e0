/**
 * Corpus cases about what a node answers: 200s whose body is not a valid status (content), and bodies
 * past the size cap or statuses built to amplify the crawl (size). Big bodies are streamed with
 * backpressure from one shared buffer, never allocated whole.
 */
import type { Status } from '../../node-agent/schema.js';
import { HUGE, ampChildId, answer, connectionJson, ghostId, hugeArray, statusDoc } from './builder.js';
import type { CaseBuilder } from './builder.js';
import type { HostileCase } from './corpus.js';
import { httpServer, repeat, sendBody, streamOut } from './servers.js';
import type { HttpHandler } from './servers.js';

/** Claimed connections of the amplifier: the schema's maximum (STATUS_LIMITS.connections). */
export const AMPLIFIER_CONNECTIONS = 4096;
/** Entries streamed by the million-neighbours and million-connections cases (≈150 MB if read whole). */
export const MILLION = 1_000_000;
/** Size of the 100 MB bodies. */
export const HUNDRED_MB = 100 * 1_048_576;

/**
 * What the amplifier case exposes to the test: its claimed connections, the indexes of those requested
 * (a visit that spent its whole budget queued for the origin's connection sends no request), and the
 * number of requests (a child retried after a timeout counts again).
 */
export interface Amplifier {
  children: { id: string; endpoint: string }[];
  visitedChildren(): number[];
  childHits(): number;
}

export async function addContentCases(b: CaseBuilder): Promise<void> {
  await b.http(
    {
      name: 'invalid-json',
      group: 'content',
      behaviour: 'truncated JSON',
      expect: { visit: 'bad_json' },
      placement: 'ring-extra',
    },
    answer(() => '{"schema":1,"nodeId":'),
  );
  await b.http(
    {
      name: 'wrong-content-type',
      group: 'content',
      behaviour: 'a valid status labelled text/html',
      expect: { visit: 'bad_json' },
    },
    answer((s) => statusDoc(s.id, s.endpoint), 200, 'text/html; charset=utf-8'),
  );
  const schema = (name: string, behaviour: string, body: (self: HostileCase) => unknown) =>
    b.http({ name, group: 'content', behaviour, expect: { visit: 'schema' } }, answer(body));
  await schema('wrong-shape', 'valid JSON of another shape (an array)', (s) => [{ nodeId: s.id }]);
  await schema('negative-bytes', 'traffic.bytesIn = -1', (s) =>
    statusDoc(s.id, s.endpoint, { traffic: { bytesIn: -1, bytesOut: 0, packetsIn: 0, packetsOut: 0 } }),
  );
  await schema('nan-string', 'process.rssBytes = "NaN"', (s) => {
    const d = statusDoc(s.id, s.endpoint) as unknown as { process: Record<string, unknown> };
    d.process.rssBytes = 'NaN';
    return d;
  });
  await schema('number-overflow', 'process.rssBytes = 1e999 (JSON.parse makes it Infinity)', (s) =>
    JSON.stringify(statusDoc(s.id, s.endpoint)).replace('"rssBytes":1,', '"rssBytes":1e999,'),
  );
  await schema('id-wrong-length', 'nodeId of 39 hex characters', (s) =>
    statusDoc(s.id.slice(0, 39), s.endpoint),
  );
  await schema('id-wrong-case', 'nodeId in upper case', (s) => statusDoc(s.id.toUpperCase(), s.endpoint));
  await schema('neighbour-id-wrong-case', 'an L1 entry whose ID is upper case', (s) =>
    statusDoc(s.id, s.endpoint, {
      ring: { left: [{ id: s.id.toUpperCase(), endpoint: s.endpoint }], right: [] },
    }),
  );
  await schema('seventeen-neighbours', 'ring.right with 17 entries (the cap is 16)', (s) => {
    const right = Array.from({ length: 17 }, (_, i) => ({ id: ghostId(100 + i), endpoint: s.endpoint }));
    return statusDoc(s.id, s.endpoint, { ring: { left: [], right } });
  });
  await schema('deep-nesting', '100,000 nested arrays in an unknown field (200 KB)', () => {
    const depth = 100_000;
    return `{"schema":1,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  });
}

export async function addSizeCases(b: CaseBuilder): Promise<Amplifier> {
  const chunk = Buffer.alloc(65_536, 0x61);
  const chunks = HUNDRED_MB / chunk.length;
  await b.http(
    {
      name: 'huge-body-100mb',
      group: 'size',
      behaviour: '100 MB chunked body without Content-Length',
      expect: { visit: 'too_large' },
    },
    () => (_req, res, stats) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      void streamOut(res, ['{"schema":1,"pad":"', ...repeat(chunk, chunks), '"}'], stats);
    },
  );
  await b.http(
    {
      name: 'huge-declared-100mb',
      group: 'size',
      behaviour: 'Content-Length: 104857600, then the bytes',
      expect: { visit: 'too_large' },
    },
    () => (_req, res, stats) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': HUNDRED_MB });
      void streamOut(res, repeat(chunk, chunks), stats);
    },
  );
  const streamed =
    (doc: (s: HostileCase) => unknown, item: (i: number) => string) =>
    (s: HostileCase): HttpHandler =>
    (_req, res, stats) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      void streamOut(res, hugeArray(doc(s), MILLION, item), stats);
    };
  await b.http(
    {
      name: 'million-connections',
      group: 'size',
      behaviour: 'a status claiming 1,000,000 connections, streamed (≈150 MB)',
      expect: { visit: 'too_large' },
    },
    streamed(
      (s) => ({ ...statusDoc(s.id, s.endpoint), connections: HUGE }),
      (i) => connectionJson(ampChildId(i), `http://127.0.0.1:1/m${i}`),
    ),
  );
  await b.http(
    {
      name: 'million-neighbours',
      group: 'size',
      behaviour: 'a status claiming 1,000,000 ring successors, streamed (≈90 MB)',
      expect: { visit: 'too_large' },
    },
    streamed(
      (s) => ({ ...statusDoc(s.id, s.endpoint), ring: { left: [], right: HUGE } }),
      (i) => `{"id":"${ghostId(i)}","endpoint":"http://127.0.0.1:1/n${i}"}`,
    ),
  );

  // The claimed connections all lead to one second origin of the same operator, each path a 404.
  let hits = 0;
  const visited = new Set<number>();
  const childServer = b.keep(
    await httpServer((req, res) => {
      hits++;
      const child = /^\/amp\/(\d+)\//.exec(req.url ?? '');
      if (child) visited.add(Number(child[1]));
      sendBody(res, { error: { code: 'not_found', message: 'no such node' } }, 404);
    }),
  );
  const children = Array.from({ length: AMPLIFIER_CONNECTIONS }, (_, i) => ({
    id: ampChildId(i),
    endpoint: `http://127.0.0.1:${childServer.port}/amp/${i}`,
  }));
  let body = '';
  const amp = await b.http(
    {
      name: 'amplifier-4096',
      group: 'size',
      behaviour: `a valid status with ${AMPLIFIER_CONNECTIONS} connections (≈700 KB) to 404 endpoints on one origin`,
      expect: { visit: 'ok', findings: ['missing_neighbor', 'off_ring'] },
    },
    () => (_req, res) => sendBody(res, body),
  );
  const doc: Status = statusDoc(amp.id, amp.endpoint);
  body = [
    ...hugeArray({ ...doc, connections: HUGE }, children.length, (i) =>
      connectionJson(children[i]!.id, children[i]!.endpoint),
    ),
  ].join('');
  return { children, visitedChildren: () => [...visited].sort((x, y) => x - y), childHits: () => hits };
}
