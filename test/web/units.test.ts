/**
 * The dashboard's pure parts, without a browser: hash routes, number formatting with units, the ring
 * health badge, edge-kind URL state, history points, and the typed API client over a fake fetch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApi, describeError, isApiError } from '../../web/src/api.js';
import { age, axisTime, bytes, count, duration, percent, shortId } from '../../web/src/format.js';
import { ringHealth } from '../../web/src/health.js';
import { formatHash, matchPattern, nodeHash, parseHash, withQuery } from '../../web/src/router.js';
import { pointOfCrawl, succeededSince, trimKinds } from '../../web/src/views/history.js';
import { kindsFromQuery, kindsToQuery } from '../../web/src/views/ring-panels.js';
import type { CrawlRecord, Summary } from '../../web/src/types.js';

test('hash routes carry path and query both ways; patterns bind params', () => {
  assert.deepEqual(parseHash('#/ring?crawl=12&node=ab'), {
    path: 'ring',
    query: { crawl: '12', node: 'ab' },
  });
  assert.deepEqual(parseHash(''), { path: '', query: {} });
  assert.deepEqual(parseHash('#/overview/'), { path: 'overview', query: {} });
  assert.equal(formatHash('ring', { crawl: 12, node: null, edges: '' }), '#/ring?crawl=12');
  assert.equal(formatHash('/crawls/'), '#/crawls');
  const endpoint = 'http://10.0.0.1:8080';
  const r = parseHash(nodeHash(endpoint));
  assert.deepEqual(matchPattern('nodes/:id', r.path), { id: endpoint });
  assert.deepEqual(matchPattern('nodes/:id', 'nodes/abc'), { id: 'abc' });
  assert.equal(matchPattern('nodes/:id', 'nodes'), null);
  assert.equal(matchPattern('ring', 'crawls'), null);
  assert.equal(withQuery(parseHash('#/overview?range=1h'), { range: '7d' }), '#/overview?range=7d');
  assert.equal(withQuery(parseHash('#/ring?crawl=3&node=x'), { node: null }), '#/ring?crawl=3');
});

test('numbers with units', () => {
  assert.equal(count(12345), '12,345');
  assert.equal(count(null), '—');
  assert.equal(percent(0.98765), '98.8 %');
  assert.equal(percent(1), '100 %');
  assert.equal(percent(null), '—');
  assert.equal(duration(850), '850 ms');
  assert.equal(duration(1234), '1.2 s');
  assert.equal(duration(42_000), '42 s');
  assert.equal(duration(185_000), '3 min 5 s');
  assert.equal(duration(2 * 3600_000 + 600_000), '2 h 10 min');
  assert.equal(duration(3 * 86400_000 + 4 * 3600_000), '3 d 4 h');
  assert.equal(duration(null), '—');
  assert.equal(age(1000, 1500), 'just now');
  assert.equal(age(0, 12_400), '12 s ago');
  assert.equal(bytes(1536), '1.5 KiB');
  assert.equal(bytes(512), '512 B');
  assert.equal(shortId('ab'.repeat(20)), `${'ab'.repeat(6)}…`);
  assert.equal(shortId('http://x:1'), 'http://x:1');
  assert.match(axisTime(Date.UTC(2024, 0, 2, 3, 4, 5), 3_600_000), /^\d\d:\d\d:\d\d$/);
  assert.match(axisTime(Date.UTC(2024, 0, 2, 3, 4, 5), 7 * 86_400_000), /^\d\d-\d\d \d\d:\d\d$/);
});

const summary = (s: Partial<Summary> = {}): Summary => ({
  nodes: 30,
  known: 30,
  reachable: 30,
  unreachable: 0,
  consistency: 1,
  rings: 1,
  mainRingSize: 30,
  findings: {},
  lastCrawl: { id: 3, state: 'succeeded', startedAt: 1, finishedAt: 2, durationMs: 1 },
  latestAttempt: null,
  running: null,
  firingAlerts: 0,
  ...s,
});

test('ring health badge levels', () => {
  assert.equal(ringHealth(null).level, 'unknown');
  assert.equal(ringHealth(summary({ lastCrawl: null })).label, 'No crawl yet');
  assert.equal(ringHealth(summary()).level, 'healthy');
  assert.equal(ringHealth(summary({ consistency: 0.97 })).level, 'degraded');
  assert.equal(ringHealth(summary({ firingAlerts: 1 })).reason, '1 alert firing');
  assert.equal(ringHealth(summary({ unreachable: 1, reachable: 29 })).level, 'degraded');
  assert.equal(ringHealth(summary({ rings: 2 })).level, 'critical');
  assert.equal(ringHealth(summary({ consistency: 0.85 })).level, 'critical');
  assert.equal(ringHealth(summary({ reachable: 20, unreachable: 10 })).level, 'critical');
});

test('edge kinds in the URL: defaults omitted, none explicit, junk ignored', () => {
  const def = kindsFromQuery(undefined);
  assert.ok(def.has('R1') && def.has('relay') && !def.has('leaf'));
  assert.equal(kindsToQuery(def), null);
  assert.equal(kindsToQuery(new Set(['R1', 'L1'])), 'L1,R1');
  assert.deepEqual([...kindsFromQuery('L1,bogus,R1')], ['L1', 'R1']);
  assert.equal(kindsToQuery(new Set()), 'none');
  assert.equal(kindsFromQuery('none').size, 0);
});

test('history from crawl records: succeeded ones in range, oldest first; live kinds trimmed', () => {
  const crawl = (id: number, startedAt: number, state: CrawlRecord['state'] = 'succeeded') =>
    ({
      id,
      startedAt,
      state,
      discovered: 10,
      reachable: 9,
      consistency: 0.9,
      rings: 1,
      findingsTotal: null,
      findings: { wrong_neighbor: 2, asymmetric: 1 },
      durationMs: 50,
    }) as unknown as CrawlRecord;
  const list = succeededSince([crawl(3, 300), crawl(2, 200, 'failed'), crawl(1, 100), crawl(0, 10)], 50);
  assert.deepEqual(
    list.map((c) => c.id),
    [1, 3],
  );
  const p = pointOfCrawl(list[0]!);
  assert.equal(p.findings, 3);
  assert.equal(p.joined, null);
  const kinds = trimKinds(
    [
      { t: 10, counts: {} },
      { t: 100, counts: {} },
    ],
    50,
    { t: 400, counts: { asymmetric: 1 } },
  );
  assert.deepEqual(
    kinds.map((k) => k.t),
    [100, 400],
  );
  assert.equal(trimKinds(kinds, 50, { t: 400, counts: {} }).length, 2, 'a crawl is added once');
});

function fakeFetch(answers: { status: number; body?: unknown }[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = (url: string, init?: RequestInit) => {
    calls.push({ url, init: init ?? {} });
    const a = answers.shift();
    if (!a) return Promise.reject(new TypeError('Failed to fetch'));
    const text = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    return Promise.resolve(new Response(a.status === 204 ? null : text, { status: a.status }));
  };
  return { calls, fetch: f as typeof fetch };
}

test('API client: JSON in and out, error shape → typed errors, 401 reported except on login', async () => {
  const ff = fakeFetch([
    { status: 200, body: { items: [], nextCursor: null } },
    { status: 404, body: { error: { code: 'not_found', message: 'no crawl 9' } } },
    { status: 401, body: { error: { code: 'unauthenticated', message: 'not signed in' } } },
    { status: 401, body: { error: { code: 'unauthenticated', message: 'invalid user name or password' } } },
    { status: 502, body: '<html>bad gateway</html>' },
    { status: 204 },
  ]);
  let unauth = 0;
  const api = createApi({ fetch: ff.fetch, onUnauthenticated: () => unauth++ });
  assert.deepEqual(await api.crawls({ limit: 5, cursor: null }), { items: [], nextCursor: null });
  assert.equal(ff.calls[0]!.url, '/api/v1/crawls?limit=5');
  assert.equal(ff.calls[0]!.init.credentials, 'same-origin');

  const e404 = await api.topology(9).catch((e: unknown) => e);
  assert.ok(isApiError(e404, 'not_found'));
  assert.equal(e404.status, 404);
  assert.equal(e404.message, 'no crawl 9');

  await assert.rejects(api.summary(), (e) => isApiError(e, 'unauthenticated'));
  assert.equal(unauth, 1);
  await assert.rejects(api.login('admin', 'wrong'), (e) => isApiError(e, 'unauthenticated'));
  assert.equal(unauth, 1, 'a failed login is not a lost session');
  assert.equal((JSON.parse(ff.calls[3]!.init.body as string) as { username: string }).username, 'admin');
  assert.equal((ff.calls[3]!.init.headers as Record<string, string>)['content-type'], 'application/json');

  await assert.rejects(api.summary(), (e) => isApiError(e, 'bad_response'));
  assert.equal(await api.logout(), undefined);
  const down = await api.summary().catch((e: unknown) => e);
  assert.ok(isApiError(down, 'network'));
  assert.match(describeError(down), /cannot be reached/);
});
