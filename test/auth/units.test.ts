/** The small pieces on their own: the login limiter, the audit log's paging and secret scrubbing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '../../server/core/clock.js';
import { actorOf, createAudit } from '../../server/auth/audit.js';
import { createLoginLimiter } from '../../server/auth/rate-limit.js';
import { openDatabase } from '../../server/store/index.js';

test('login limiter: sliding window per pair and per address, Retry-After from the oldest failure', () => {
  const clock = manualClock();
  const l = createLoginLimiter(clock, { windowMs: 1000, max: 2, maxPerIp: 3 });
  assert.deepEqual(l.check('a', 'u'), { allowed: true });
  l.fail('a', 'u');
  clock.advance(400);
  l.fail('a', 'U');
  assert.deepEqual(l.check('a', 'u'), { allowed: false, retryAfterMs: 600 });
  assert.deepEqual(l.check('b', 'u'), { allowed: true }, 'other addresses are not affected');
  l.succeed('a', 'u');
  assert.deepEqual(l.check('a', 'u'), { allowed: true }, 'succeed() forgot the pair');
  l.fail('a', 'v');
  assert.deepEqual(l.check('a', 'w'), { allowed: false, retryAfterMs: 600 }, 'per-address limit');
  clock.advance(599);
  assert.equal(l.check('a', 'w').allowed, false);
  clock.advance(1);
  assert.deepEqual(l.check('a', 'w'), { allowed: true }, 'oldest failure left the window');
});

test('login limiter: memory stays bounded under a spray of addresses', () => {
  const clock = manualClock();
  const l = createLoginLimiter(clock, { windowMs: 1000, max: 1, maxPerIp: 1, maxKeys: 100 });
  for (let i = 0; i < 1000; i++) {
    l.fail(`10.0.${i >> 8}.${i & 255}`, 'root');
    assert.ok(l.size() <= 100);
  }
  // The most recent ones are still remembered.
  assert.equal(l.check('10.0.3.231', 'root').allowed, false);
});

test('audit: newest first, paged with before, secrets scrubbed, actorOf names principals', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-audit-'));
  const clock = manualClock();
  const db = await openDatabase(join(dir, 'a.db'), { clock });
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const audit = createAudit(db, clock);
  for (let i = 1; i <= 5; i++) {
    await audit.record({ actor: 'system', action: `test.step${i}` });
    clock.advance(10);
  }
  const p1 = await audit.list({ limit: 2 });
  assert.deepEqual(
    p1.items.map((e) => e.action),
    ['test.step5', 'test.step4'],
  );
  const p2 = await audit.list({ limit: 2, before: p1.nextBefore! });
  const p3 = await audit.list({ limit: 2, before: p2.nextBefore! });
  assert.deepEqual(
    [...p2.items, ...p3.items].map((e) => e.action),
    ['test.step3', 'test.step2', 'test.step1'],
  );
  assert.equal(p3.nextBefore, null);
  assert.equal(p1.items[0]!.at - p3.items[0]!.at, 40);

  const token = 'rw_' + 'Q'.repeat(43);
  await audit.record({
    actor: 'user:x',
    action: 'test.scrub',
    target: 'n1',
    detail: {
      password: 'p',
      nested: { passwordHash: 'h', authorization: 'a', keep: 1 },
      note: `saw ${token}`,
    },
  });
  const [row] = (await audit.list({ limit: 1 })).items;
  assert.deepEqual(row!.detail, { nested: { keep: 1 }, note: 'saw rw_[redacted]' });
  assert.equal(row!.target, 'n1');

  assert.equal(actorOf({ kind: 'session', id: 1, name: 'ann', role: 'admin', userId: 1 }), 'user:ann');
  assert.equal(actorOf({ kind: 'token', id: 7, name: 'ci', role: 'viewer', userId: null }), 'token:ci');
});
