/** Graceful shutdown: a crawl running when the server stops is finished in time or recorded aborted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../server/store/index.js';
import { systemClock } from '../../server/core/clock.js';
import { startFixture } from './helpers.js';

test('close() mid-crawl aborts the crawl after the grace period, records it, and closes cleanly', async (t) => {
  const f = await startFixture(t, { nodes: 40, answerDelay: 300 }, (o) => ({
    ...o,
    crawl: { ...o.crawl, concurrency: 2 },
    shutdownTimeoutMs: 200,
  }));
  const started = await f.api('/api/v1/crawls', { method: 'POST', body: {}, role: 'operator' });
  assert.equal(started.status, 202);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await f.server.close();
  assert.ok(Date.now() - t0 < 4000, 'shutdown does not wait for the whole crawl (~6 s)');
  await assert.rejects(fetch(`${f.url}/healthz`), 'the port is closed');
  await f.server.close(); // idempotent

  const db = await openDatabase(f.dbFile, { clock: systemClock() });
  try {
    const row = await db.get<{ state: string }>('SELECT state FROM crawls WHERE id = ?', [
      started.body.crawlId,
    ]);
    assert.equal(row?.state, 'aborted');
    const check = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
    assert.equal(check?.integrity_check, 'ok');
  } finally {
    await db.close();
  }
});

test('close() lets a crawl that ends within the grace period finish', async (t) => {
  const f = await startFixture(t, { nodes: 10, answerDelay: 100 }, (o) => ({
    ...o,
    shutdownTimeoutMs: 10_000,
  }));
  const started = await f.api('/api/v1/crawls', { method: 'POST', body: {}, role: 'operator' });
  await f.server.close();
  const db = await openDatabase(f.dbFile, { clock: systemClock() });
  try {
    const row = await db.get<{ state: string }>('SELECT state FROM crawls WHERE id = ?', [
      started.body.crawlId,
    ]);
    assert.equal(row?.state, 'succeeded');
  } finally {
    await db.close();
  }
});
