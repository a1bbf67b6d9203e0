/**
 * Silences and inhibition: muted alerts are listed (marked) but not sent, and are sent when the muting
 * ends while they still fire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silenceMatches } from '../../server/alert/silences.js';
import { SilenceInputSchema } from '../../server/alert/silences.js';
import { engineFixture, HOUR, MINUTE, NODE_A, NODE_B, sig } from './engine-helpers.js';

test('silence matchers: equality, inequality, anchored regex, missing labels', () => {
  const labels = { alertname: 'ThreadStalled', node: NODE_A, thread: 'dht' };
  const m = (name: string, value: string, isRegex = false, isEqual = true) => ({
    name,
    value,
    isRegex,
    isEqual,
  });
  assert.ok(silenceMatches([m('alertname', 'ThreadStalled')], labels));
  assert.ok(!silenceMatches([m('alertname', 'Thread')], labels));
  assert.ok(silenceMatches([m('alertname', 'Thread.*', true)], labels));
  assert.ok(!silenceMatches([m('alertname', 'Stalled', true)], labels), 'regexes are anchored');
  assert.ok(silenceMatches([m('thread', 'dht|routing', true), m('node', NODE_B, false, false)], labels));
  assert.ok(!silenceMatches([m('thread', 'dht'), m('node', NODE_A, false, false)], labels));
  assert.ok(silenceMatches([m('resource', '')], labels), 'a missing label is the empty string');
  const bad = SilenceInputSchema.safeParse({ matchers: [m('node', '(', true)], endsAt: 1 });
  assert.ok(!bad.success);
  assert.match(JSON.stringify(bad.error.issues), /invalid regular expression/);
  const all = SilenceInputSchema.safeParse({ matchers: [m('node', '.*', true)], endsAt: 1 });
  assert.ok(!all.success, 'a silence that matches everything is refused');
});

test('a silenced alert is listed as silenced, not sent, and sent when the silence is expired', async (t) => {
  const f = await engineFixture(t);
  const created = await f.engine.silences.create(
    {
      matchers: [{ name: 'node', value: NODE_A }],
      endsAt: f.clock.now() + HOUR,
      comment: 'maintenance',
    },
    'alice',
  );
  assert.ok(created.ok);
  assert.equal(created.silence.state, 'active');
  assert.equal(created.silence.createdBy, 'alice');
  assert.equal(created.silence.startsAt, f.clock.now());

  const pi = [
    sig('persistent_inconsistency', { node: NODE_A }),
    sig('persistent_inconsistency', { node: NODE_B }),
  ];
  await f.crawl(pi);
  assert.equal(f.notifier.sent.length, 1);
  assert.deepEqual(
    f.notifier.sent[0]!.alerts.map((a) => a.labels.node),
    [NODE_B],
    'only the alert no silence matches is sent',
  );
  const silenced = (await f.engine.list({ state: 'silenced', limit: 10 })).items;
  assert.equal(silenced.length, 1);
  assert.equal(silenced[0]!.labels.node, NODE_A);
  assert.equal(silenced[0]!.state, 'firing');
  assert.equal(silenced[0]!.silencedBy, created.silence.id);
  assert.equal(await f.engine.firingCount(), 2);

  f.clock.advance(10 * MINUTE);
  await f.crawl(pi);
  await f.engine.tick();
  assert.equal(f.notifier.sent.length, 1, 'still muted');

  const expired = await f.engine.silences.expire(created.silence.id);
  assert.ok(expired.ok);
  assert.equal(expired.silence.state, 'expired');
  assert.equal(expired.silence.expiredAt, f.clock.now());
  assert.equal(f.notifier.sent.length, 2, 'sent as soon as the silence ends while it still fires');
  assert.deepEqual(
    f.notifier.sent[1]!.alerts.map((a) => [a.labels.node, a.silencedBy]),
    [[NODE_A, null]],
  );
  assert.deepEqual((await f.engine.list({ state: 'silenced', limit: 10 })).items, []);
  const again = await f.engine.silences.expire(created.silence.id);
  assert.ok(again.ok, 'expiring an expired silence changes nothing');
  assert.deepEqual(await f.engine.silences.expire(999), { ok: false, reason: 'not_found' });
  assert.equal(f.notifier.sent.length, 2);
});

test('a silence that runs out while the alert fires: sent at the next tick; resolve of a never-sent alert is quiet', async (t) => {
  const f = await engineFixture(t);
  const start = f.clock.now();
  const s = await f.engine.silences.create(
    {
      matchers: [{ name: 'alertname', value: 'DuplicateNodeId' }],
      startsAt: start + MINUTE,
      endsAt: start + 30 * MINUTE,
    },
    'bob',
  );
  assert.ok(s.ok);
  assert.equal(s.silence.state, 'pending');
  await f.crawl([sig('duplicate_id', { node: NODE_A })]);
  assert.equal(f.notifier.sent.length, 1, 'the silence had not started yet');

  f.clock.advance(MINUTE);
  await f.crawl([sig('duplicate_id', { node: NODE_A }), sig('duplicate_id', { node: NODE_B })]);
  assert.equal(f.notifier.sent.length, 1, 'the new one is silenced');
  const listed = await f.engine.silences.list({ state: 'active', limit: 10 });
  assert.deepEqual(
    listed.items.map((x) => x.id),
    [s.silence.id],
  );

  f.clock.advance(29 * MINUTE);
  await f.engine.tick();
  assert.equal(f.notifier.sent.length, 2);
  assert.deepEqual(
    f.notifier.sent[1]!.alerts.map((a) => a.labels.node),
    [NODE_B],
  );
  assert.equal((await f.engine.silences.list({ state: 'expired', limit: 10 })).items.length, 1);

  // Silenced from the start to its resolve: never sent, so no resolved notification either.
  const s2 = await f.engine.silences.create(
    {
      matchers: [
        { name: 'rule_absent', value: 'x', isEqual: false },
        { name: 'alertname', value: 'RingSplit' },
      ],
      endsAt: f.clock.now() + HOUR,
    },
    'bob',
  );
  assert.ok(s2.ok);
  await f.crawl([sig('ring_split'), sig('duplicate_id', { node: NODE_B })]);
  await f.crawl([sig('duplicate_id', { node: NODE_B })]);
  assert.deepEqual(f.notifier.of('RingSplit'), []);
  // NODE_A resolved (it had been sent): one resolved notification.
  assert.equal(f.notifier.of('DuplicateNodeId', 'resolved').length, 1);
  assert.deepEqual(
    await f.engine.silences.create({ matchers: [{ name: 'a', value: 'b' }], endsAt: f.clock.now() }, 'x'),
    {
      ok: false,
      reason: 'ends_in_past',
    },
  );
});

test('inhibition: a firing ring split mutes per-node alerts until it resolves', async (t) => {
  const f = await engineFixture(t);
  await f.crawl([
    sig('ring_split', { value: 2 }),
    sig('persistent_inconsistency', { node: NODE_A }),
    sig('thread_stalled', { node: NODE_B, thread: 'routing' }),
    sig('nonlinear_loss', { value: 40 }),
  ]);
  assert.deepEqual(f.notifier.sent.map((n) => n.groupKey).sort(), ['NodeLossNonLinear', 'RingSplit']);
  const split = f.notifier.of('RingSplit')[0]!.alerts[0]!;
  const active = (await f.engine.list({ state: 'active', limit: 10 })).items;
  const muted = active.filter((a) => a.inhibitedBy !== null);
  assert.deepEqual(muted.map((a) => a.rule).sort(), ['PersistentInconsistency', 'ThreadStalled']);
  assert.ok(muted.every((a) => a.inhibitedBy === split.fingerprint && a.state === 'firing'));

  await f.crawl([
    sig('ring_split', { value: 2 }),
    sig('persistent_inconsistency', { node: NODE_A }),
    sig('thread_stalled', { node: NODE_B, thread: 'routing' }),
    sig('nonlinear_loss', { value: 40 }),
  ]);
  assert.equal(f.notifier.sent.length, 2);

  // The split heals, the stalled thread is gone, the inconsistency remains: it is sent now.
  await f.crawl([sig('persistent_inconsistency', { node: NODE_A }), sig('nonlinear_loss', { value: 40 })]);
  assert.equal(f.notifier.of('RingSplit', 'resolved').length, 1);
  assert.equal(f.notifier.of('PersistentInconsistency', 'firing').length, 1);
  assert.deepEqual(
    f.notifier.of('ThreadStalled'),
    [],
    'inhibited all its life: never sent, not even resolved',
  );
  const pi = (await f.engine.list({ state: 'firing', rule: 'PersistentInconsistency', limit: 10 })).items[0]!;
  assert.equal(pi.inhibitedBy, null);
  const types = (await f.engine.history(pi.fingerprint)).map((e) => e.type).reverse();
  assert.deepEqual(types, ['pending', 'firing', 'inhibited', 'uninhibited', 'notified']);
});
