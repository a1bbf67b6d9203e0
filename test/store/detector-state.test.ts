/** The SQLite detector state store against the shared contract, and the SQL trend source against the in-memory one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '../../server/core/clock.js';
import {
  createSqliteStateStore,
  createSqliteTrendSource,
  openDatabase,
  type Database,
} from '../../server/store/index.js';
import { createMemoryTrendSource, fitTrend } from '../../server/detect/index.js';
import { runStateStoreContract } from '../detect/state-store-contract.js';
import { createStore } from '../../server/store/index.js';
import { openFixture, recordSim, simRing } from './helpers.js';

const dbs = new WeakMap<object, { db: Database; dir: string; file: string }>();

runStateStoreContract(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-state-'));
    const file = join(dir, 'state.db');
    const db = await openDatabase(file, { clock: manualClock() });
    const s = createSqliteStateStore(db);
    dbs.set(s, { db, dir, file });
    return s;
  },
  {
    reopen: async (s) => {
      const h = dbs.get(s)!;
      await h.db.close();
      h.db = await openDatabase(h.file, { clock: manualClock() });
      return createSqliteStateStore(h.db);
    },
    close: async (s) => {
      const h = dbs.get(s)!;
      await h.db.close();
      rmSync(h.dir, { recursive: true, force: true });
    },
  },
);

test('state written inside a rolled-back crawl transaction is not kept', async (t) => {
  const { db, store, clock } = await openFixture(t);
  const state = createSqliteStateStore(db);
  await store.transaction(async () => {
    await recordSim(store, clock, simRing(4));
    await state.set('persistent_inconsistency', 'a'.repeat(40), { streak: 1 });
  });
  await assert.rejects(
    store.transaction(async () => {
      await state.set('persistent_inconsistency', 'a'.repeat(40), { streak: 99 });
      throw new Error('detector crashed');
    }),
    /detector crashed/,
  );
  assert.deepEqual(await state.get('persistent_inconsistency', 'a'.repeat(40)), { streak: 1 });
  await createStore(db, clock); // reopening the repository leaves detector state alone
  assert.equal((await state.entries('persistent_inconsistency')).size, 1);
});

test('the SQL trend source agrees with the in-memory one on recorded crawls', async (t) => {
  const { db, store, clock } = await openFixture(t);
  const sql = createSqliteTrendSource(db);
  const mem = createMemoryTrendSource();
  const ring = simRing(5);
  const since = clock.now();
  for (let i = 0; i < 8; i++) {
    clock.advance(60_000);
    for (const n of ring.nodes.values()) {
      n.rss += 1_000_000 * (i + 1);
      n.queue += 3;
    }
    const { sim } = await recordSim(store, clock, ring);
    mem.addCrawl(sim.result);
  }
  const a = await sql.trends(since);
  const b = await mem.trends(since);
  assert.equal(a.size, 5);
  for (const [id, stats] of b) {
    const got = a.get(id);
    assert.ok(got, `trend for ${id}`);
    assert.equal(got.n, stats.n);
    const fa = fitTrend(got, 'rss')!;
    const fb = fitTrend(stats, 'rss')!;
    assert.ok(
      Math.abs(fa.slopePerHour - fb.slopePerHour) <= 1e-6 * Math.abs(fb.slopePerHour) + 1,
      `${fa.slopePerHour} vs ${fb.slopePerHour}`,
    );
    assert.ok(Math.abs(fitTrend(got, 'queue')!.slopePerHour - fitTrend(stats, 'queue')!.slopePerHour) < 1e-6);
  }
});
