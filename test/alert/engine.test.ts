/**
 * Alert lifecycle on a manual clock: pending → firing after `for`, one notification per rule group,
 * reminders every repeatInterval, resolved notifications, quiet pending clears, identity, restarts, acks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint, labelsFor } from '../../server/alert/rules.js';
import { parseAlertingConfig } from '../../server/alert/config.js';
import { crawled, engineFixture, HOUR, MINUTE, NODE_A, NODE_B, NODE_C, sig } from './engine-helpers.js';

test('pending is not sent before `for`; firing is sent once; reminders; resolved is sent', async (t) => {
  const f = await engineFixture(t);
  const leak = sig('memory_growth', { node: NODE_A, value: 73_400_320.5, detail: 'RSS +70 MiB/h' });

  await f.crawl([leak]);
  let [alert] = (await f.engine.list({ state: 'active', limit: 10 })).items;
  assert.equal(alert?.state, 'pending');
  assert.equal(alert.rule, 'MemoryGrowth');
  assert.deepEqual(alert.labels, {
    alertname: 'MemoryGrowth',
    node: NODE_A,
    resource: 'memory',
    severity: 'warning',
  });
  assert.equal(alert.activeAt, f.clock.now());
  assert.equal(alert.startsAt, null);
  assert.equal(alert.annotations.description, 'RSS +70 MiB/h');
  assert.equal(alert.annotations.dashboard, `#/nodes/${NODE_A}`);

  f.clock.advance(5 * MINUTE);
  await f.crawl([leak]);
  await f.engine.tick();
  f.clock.advance(5 * MINUTE - 1);
  await f.engine.tick();
  assert.equal(f.notifier.sent.length, 0, 'nothing is sent while pending');
  assert.equal(await f.engine.firingCount(), 0);

  f.clock.advance(1); // `for` (10 min) has passed: the timer makes it fire, no crawl needed
  await f.engine.tick();
  assert.equal(f.notifier.sent.length, 1);
  const n = f.notifier.sent[0]!;
  assert.equal(n.status, 'firing');
  assert.equal(n.groupKey, 'MemoryGrowth');
  assert.equal(n.externalUrl, '');
  assert.equal(n.alerts.length, 1);
  assert.equal(n.alerts[0]!.state, 'firing');
  assert.equal(n.alerts[0]!.startsAt, f.clock.now());
  assert.equal(await f.engine.firingCount(), 1);

  // Still firing: no more notifications until repeatInterval (4 h) since the last one.
  for (let i = 0; i < 5; i++) {
    f.clock.advance(30 * MINUTE);
    await f.crawl([leak]);
    await f.engine.tick();
  }
  assert.equal(f.notifier.sent.length, 1);
  f.clock.advance(4 * HOUR - 150 * MINUTE);
  await f.engine.tick();
  assert.equal(f.notifier.sent.length, 2, 'a reminder after repeatInterval');
  assert.equal(f.notifier.sent[1]!.status, 'firing');

  f.clock.advance(MINUTE);
  await f.crawl([]);
  assert.equal(f.notifier.sent.length, 3);
  const resolved = f.notifier.sent[2]!;
  assert.equal(resolved.status, 'resolved');
  assert.equal(resolved.alerts[0]!.state, 'resolved');
  assert.equal(resolved.alerts[0]!.endsAt, f.clock.now());
  assert.equal(await f.engine.firingCount(), 0);

  [alert] = (await f.engine.list({ state: 'resolved', limit: 10 })).items;
  assert.equal(alert?.fingerprint, n.alerts[0]!.fingerprint);
  const types = (await f.engine.history(alert.fingerprint)).map((e) => e.type).reverse();
  assert.deepEqual(types, ['pending', 'firing', 'notified', 'reminded', 'resolved', 'resolved_notified']);
});

test('all alerts of one rule that change in one evaluation go out as one notification', async (t) => {
  const f = await engineFixture(t);
  await f.crawl([
    sig('persistent_inconsistency', { node: NODE_A }),
    sig('persistent_inconsistency', { node: NODE_B }),
    sig('persistent_inconsistency', { node: NODE_C }),
    sig('thread_stalled', { node: NODE_A, thread: 'dht' }),
    sig('node_lost', { node: NODE_B }), // no rule of its own
  ]);
  assert.equal(f.notifier.sent.length, 2);
  const pi = f.notifier.of('PersistentInconsistency', 'firing');
  assert.equal(pi.length, 1);
  assert.deepEqual(pi[0]!.alerts.map((a) => a.labels.node).sort(), [NODE_A, NODE_B, NODE_C]);
  const stalled = f.notifier.of('ThreadStalled', 'firing');
  assert.equal(stalled.length, 1);
  assert.deepEqual(stalled[0]!.alerts[0]!.labels, {
    alertname: 'ThreadStalled',
    node: NODE_A,
    severity: 'warning',
    thread: 'dht',
  });

  // One more node later: only the change is sent; two resolve together in one resolved notification.
  await f.crawl([
    sig('persistent_inconsistency', { node: NODE_A }),
    sig('persistent_inconsistency', { node: NODE_B }),
    sig('persistent_inconsistency', { node: NODE_C }),
    sig('persistent_inconsistency', { node: 'd'.repeat(40) }),
    sig('thread_stalled', { node: NODE_A, thread: 'dht' }),
  ]);
  assert.equal(f.notifier.sent.length, 3);
  assert.deepEqual(
    f.notifier.sent[2]!.alerts.map((a) => a.labels.node),
    ['d'.repeat(40)],
  );
  await f.crawl([
    sig('persistent_inconsistency', { node: NODE_C }),
    sig('persistent_inconsistency', { node: 'd'.repeat(40) }),
    sig('thread_stalled', { node: NODE_A, thread: 'dht' }),
  ]);
  const res = f.notifier.of('PersistentInconsistency', 'resolved');
  assert.equal(res.length, 1);
  assert.deepEqual(res[0]!.alerts.map((a) => a.labels.node).sort(), [NODE_A, NODE_B]);
  assert.equal(await f.engine.firingCount(), 3);
});

test('a pending alert that clears is resolved without firing and without a notification', async (t) => {
  const f = await engineFixture(t);
  await f.crawl([sig('queue_growth', { node: NODE_A, value: 5000 })]);
  f.clock.advance(9 * MINUTE);
  await f.engine.tick();
  await f.crawl([]);
  f.clock.advance(HOUR);
  await f.engine.tick();
  assert.equal(f.notifier.sent.length, 0);
  const [alert] = (await f.engine.list({ state: 'all', limit: 10 })).items;
  assert.equal(alert?.state, 'resolved');
  assert.equal(alert.labels.resource, 'queue');
  assert.equal(alert.startsAt, null);
  assert.equal(typeof alert.endsAt, 'number');
  const types = (await f.engine.history(alert.fingerprint)).map((e) => e.type).reverse();
  assert.deepEqual(types, ['pending', 'resolved']);
  assert.deepEqual(
    f.changes.map((c) => c.alert.state),
    ['pending', 'resolved'],
    'live updates for each transition',
  );
});

test('fingerprints: a stable hash of the sorted label set', async (t) => {
  assert.equal(fingerprint({ a: '1', b: '2' }), fingerprint({ b: '2', a: '1' }));
  assert.notEqual(fingerprint({ a: '1', b: '2' }), fingerprint({ a: '1', b: '3' }));
  assert.notEqual(fingerprint({ a: '1', b: '2' }), fingerprint({ a: '1b', '': '2' }));
  assert.match(fingerprint({}), /^[0-9a-f]{16}$/);
  const cfg = parseAlertingConfig({});
  const known = fingerprint(labelsFor('RingSplit', cfg));
  assert.equal(known, fingerprint({ severity: 'critical', alertname: 'RingSplit' }));

  const f = await engineFixture(t);
  await f.crawl([sig('ring_split', { value: 2 })]);
  await f.crawl([sig('ring_split', { value: 3, detail: 'three rings now' })]);
  const items = (await f.engine.list({ state: 'all', limit: 10 })).items;
  assert.equal(items.length, 1, 'the same condition across crawls is the same alert');
  assert.equal(items[0]!.fingerprint, known);
  assert.equal(items[0]!.value, 3);
  assert.equal(items[0]!.annotations.description, 'three rings now');
  assert.equal(items[0]!.annotations.dashboard, '#/ring?crawl=2');
  // Extra configured labels change the identity.
  const other = fingerprint(
    labelsFor('RingSplit', parseAlertingConfig({ rules: { RingSplit: { labels: { team: 'net' } } } })),
  );
  assert.notEqual(other, known);
});

test('a restarted engine on the same database continues without sending again', async (t) => {
  // No inhibition here: the ring split would mute the leak.
  const f = await engineFixture(t, { inhibit: [], rules: { MemoryGrowth: { for: 10 * MINUTE } } });
  const both = [sig('ring_split', { value: 2 }), sig('memory_growth', { node: NODE_A })];
  await f.crawl(both);
  assert.equal(f.notifier.sent.length, 1, 'ring split fired and was sent');
  f.clock.advance(4 * MINUTE);

  const r = await f.restart();
  await r.engine.observe(crawled(2, both));
  await r.engine.tick();
  assert.equal(r.notifier.sent.length, 0, 'the firing ring split is not sent again');
  assert.equal(await r.engine.firingCount(), 1);
  const pending = (await r.engine.list({ state: 'pending', limit: 10 })).items;
  assert.equal(pending.length, 1);
  assert.equal(pending[0]!.activeAt, f.clock.now() - 4 * MINUTE, 'pending keeps its activeAt');

  f.clock.advance(6 * MINUTE); // 10 min since the leak was first seen, 6 min after the restart
  await r.engine.tick();
  assert.equal(r.notifier.sent.length, 1);
  assert.equal(r.notifier.sent[0]!.groupKey, 'MemoryGrowth');

  f.clock.advance(MINUTE);
  await r.engine.observe(crawled(3, []));
  assert.equal(r.notifier.of('RingSplit', 'resolved').length, 1, 'and it resolves what was sent before');
  assert.equal(r.notifier.of('MemoryGrowth', 'resolved').length, 1);
  assert.equal(r.notifier.sent.length, 3);
  assert.equal(f.notifier.sent.length, 1, 'the stopped engine sent nothing more');
});

test('ack: firing alerts only; an acknowledged alert gets no reminders', async (t) => {
  const f = await engineFixture(t, { rules: { MemoryGrowth: { for: 10 * MINUTE } } });
  await f.crawl([sig('duplicate_id', { node: NODE_A }), sig('memory_growth', { node: NODE_B })]);
  const dup = f.notifier.sent[0]!.alerts[0]!;
  const leak = (await f.engine.list({ state: 'pending', limit: 1 })).items[0]!;
  assert.deepEqual(await f.engine.ack(leak.fingerprint, 'op', ''), { ok: false, reason: 'not_firing' });
  assert.deepEqual(await f.engine.ack('0123456789abcdef', 'op', ''), { ok: false, reason: 'not_found' });

  f.changes.length = 0;
  const acked = await f.engine.ack(dup.fingerprint, 'alice', 'looking into it');
  assert.ok(acked.ok);
  assert.deepEqual(acked.alert.ack, { by: 'alice', at: f.clock.now(), comment: 'looking into it' });
  assert.equal(f.changes.length, 1);
  assert.deepEqual(f.changes[0]!.alert.ack, acked.alert.ack);
  assert.deepEqual((await f.engine.get(dup.fingerprint))?.ack, acked.alert.ack);

  f.clock.advance(5 * HOUR);
  await f.engine.tick();
  assert.deepEqual(f.notifier.of('DuplicateNodeId', 'firing').length, 1, 'no reminder once acknowledged');
  assert.equal(f.notifier.of('MemoryGrowth', 'firing').length, 1);
  const events = await f.engine.history(dup.fingerprint);
  assert.equal(events[0]!.type, 'acked');
  assert.equal(events[0]!.detail, 'by alice: looking into it');
});
