/** GET /findings and GET /signals over hand-built crawls: filters, keyset pages, validation, auth. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Signal } from '../../server/detect/index.js';
import type { StoredFinding, StoredSignal } from '../../server/store/index.js';
import { openFixture, recordSim, simRing } from '../store/helpers.js';
import { startApi, type Api } from './nodes-helpers.js';

type Page<T> = { items: T[]; nextCursor: string | null };

async function walk<T extends { id: number }>(api: Api, path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r: { status: number; body: Page<T> } = await api.get(
      cursor ? `${path}${sep}cursor=${cursor}` : path,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
    if (cursor === null) return out;
  }
  throw new Error('too many pages');
}

void test('findings: open by default, status=all, kind and node filters, pages', async (t) => {
  const { store, clock } = await openFixture(t);
  const ring = simRing(8, 4);
  const ids = [...ring.nodes.keys()].sort();
  const [a, b] = [ring.nodes.get(ids[1]!)!, ring.nodes.get(ids[5]!)!];
  a.override.R1 = ids[4]!; // a stale pointer: asymmetric findings on a
  await recordSim(store, clock, ring);
  clock.advance(60_000);
  b.override.L1 = ids[2]!;
  await recordSim(store, clock, ring);
  clock.advance(60_000);
  delete a.override.R1; // a heals: its findings close
  await recordSim(store, clock, ring);

  const api = await startApi(t, store);
  const open = await api.get<Page<StoredFinding>>('/findings');
  assert.equal(open.status, 200);
  assert.ok(open.body.items.length > 0);
  assert.ok(open.body.items.every((f) => f.toCrawl === null));
  assert.deepEqual(
    open.body.items.map((f) => f.id),
    (await store.openFindings()).map((f) => f.id).reverse(),
    'newest first',
  );
  assert.ok(!open.body.items.some((f) => f.nodeId === a.id), "a's findings are closed");

  const all = await walk<StoredFinding>(api, '/findings?status=all&limit=1');
  assert.equal(new Set(all.map((f) => f.id)).size, all.length, 'each once');
  assert.deepEqual(
    all.map((f) => f.id),
    [...all.map((f) => f.id)].sort((x, y) => y - x),
  );
  const closed = all.filter((f) => f.toCrawl !== null);
  assert.ok(closed.some((f) => f.nodeId === a.id));
  assert.ok(!closed.some((f) => f.nodeId === b.id), "b's stale pointer is still there");
  assert.equal(all.length, open.body.items.length + closed.length);

  const byNode = await api.get<Page<StoredFinding>>(`/findings?status=all&node=${a.id.toUpperCase()}`);
  assert.deepEqual(
    byNode.body.items.map((f) => f.id),
    all.filter((f) => f.nodeId === a.id).map((f) => f.id),
  );
  const kinds = new Set(all.map((f) => f.kind));
  for (const kind of kinds) {
    const r = await api.get<Page<StoredFinding>>(`/findings?status=all&kind=${kind}`);
    assert.deepEqual(
      r.body.items.map((f) => f.id),
      all.filter((f) => f.kind === kind).map((f) => f.id),
    );
  }
  assert.deepEqual((await api.get<Page<StoredFinding>>('/findings?kind=duplicate_id')).body.items, []);
  assert.deepEqual((await api.get<Page<StoredFinding>>(`/findings?node=${'9'.repeat(40)}`)).body, {
    items: [],
    nextCursor: null,
  });

  for (const q of ['status=closed', 'kind=bogus', 'limit=0', 'cursor=abc', 'cursor=0', 'node=nope', 'x=1']) {
    const r = await api.get<{ error: { code: string } }>(`/findings?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.code, 'bad_request');
  }
});

void test('signals: active by default, history with status=all, filters and pages; auth', async (t) => {
  const { store, clock } = await openFixture(t);
  const ring = simRing(4, 6);
  const [x, y] = [...ring.nodes.keys()].sort() as [string, string];
  const sig = (
    kind: Signal['kind'],
    nodeId: string | undefined,
    active: boolean,
    thread?: string,
  ): Signal => ({
    detector:
      kind === 'thread_stalled'
        ? 'thread_stalled'
        : kind === 'persistent_inconsistency'
          ? 'persistent_inconsistency'
          : 'node_loss',
    kind,
    ...(nodeId ? { nodeId } : {}),
    ...(thread ? { thread } : {}),
    active,
    since: 1,
    detail: kind,
  });
  const crawl = async (signals: Signal[]) => {
    clock.advance(60_000);
    const { id } = await recordSim(store, clock, ring);
    await store.recordSignals(id, signals);
  };
  await crawl([sig('persistent_inconsistency', x, true), sig('nonlinear_loss', undefined, true)]);
  await crawl([sig('persistent_inconsistency', x, false), sig('thread_stalled', y, true, 'dht')]);
  await crawl([sig('node_lost', y, true), sig('nonlinear_loss', undefined, false)]);

  const api = await startApi(t, store);
  const active = await api.get<Page<StoredSignal>>('/signals');
  assert.equal(active.status, 200);
  assert.deepEqual(
    active.body.items.map((s) => [s.kind, s.nodeId]),
    [
      ['node_lost', y],
      ['thread_stalled', y],
    ],
  );
  const history = await walk<StoredSignal>(api, '/signals?status=all&limit=2');
  assert.deepEqual(
    history.map((s) => [s.kind, s.active]),
    [
      ['node_lost', true],
      ['thread_stalled', true],
      ['nonlinear_loss', false],
      ['persistent_inconsistency', false],
    ],
  );
  assert.deepEqual(
    (await api.get<Page<StoredSignal>>(`/signals?status=all&node=${x}`)).body.items.map((s) => s.kind),
    ['persistent_inconsistency'],
  );
  assert.deepEqual(
    (await api.get<Page<StoredSignal>>('/signals?kind=thread_stalled')).body.items.map((s) => s.thread),
    ['dht'],
  );
  const now = clock.now();
  assert.equal(
    (await api.get<Page<StoredSignal>>(`/signals?status=all&sinceMs=${now}`)).body.items.length,
    2,
    'only the active ones hold now',
  );
  for (const q of ['status=open', 'kind=bogus', 'sinceMs=x', 'cursor=-1', 'node=', 'limit=5000']) {
    assert.equal((await api.get(`/signals?${q}`)).status, 400, q);
  }

  for (const path of ['/findings', '/signals', '/relays']) {
    assert.equal((await api.get(path, null)).status, 401, path);
    assert.equal((await api.get(path, 'guest')).status, 403, path);
    assert.equal((await api.get(path, 'admin')).status, 200, path);
  }
});
