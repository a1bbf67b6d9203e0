import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../server/schedule/scheduler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a job never overlaps itself: ticks during a run are skipped and counted', async () => {
  const s = createScheduler({ now: Date.now });
  let active = 0;
  let maxActive = 0;
  s.add({
    name: 'crawl',
    schedule: '* * * * * *',
    run: async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(2200);
      active--;
    },
  });
  s.start();
  await sleep(3500);
  await s.stop();
  const [st] = s.stats();
  assert.equal(maxActive, 1);
  assert.ok(st!.runs >= 1, `runs ${st!.runs}`);
  assert.ok(st!.skipped >= 1, `skipped ${st!.skipped}`);
  assert.equal(st!.running, false, 'stop() waits for the running job');
});

test('trigger runs now, refuses while running, and failures are counted not thrown', async () => {
  const errors: string[] = [];
  const s = createScheduler({ now: Date.now, onError: (job) => errors.push(job) });
  let release!: () => void;
  s.add({ name: 'slow', schedule: '0 0 1 1 *', run: () => new Promise<void>((r) => (release = r)) });
  s.add({ name: 'bad', schedule: '0 0 1 1 *', run: () => Promise.reject(new Error('boom')) });
  assert.equal(s.trigger('slow'), true);
  assert.equal(s.trigger('slow'), false);
  release();
  assert.equal(s.trigger('bad'), true);
  await s.stop();
  const bad = s.stats().find((j) => j.name === 'bad')!;
  assert.equal(bad.failures, 1);
  assert.equal(bad.lastError, 'boom');
  assert.deepEqual(errors, ['bad']);
  assert.equal(s.trigger('slow'), false, 'a stopped scheduler runs nothing');
});

test('bad expressions and duplicate names are rejected with clear errors', () => {
  const s = createScheduler({ now: Date.now });
  assert.throws(
    () => s.add({ name: 'x', schedule: 'every minute', run: async () => {} }),
    /not a valid cron expression/,
  );
  s.add({ name: 'x', schedule: '* * * * *', run: async () => {} });
  assert.throws(() => s.add({ name: 'x', schedule: '* * * * *', run: async () => {} }), /already added/);
});

test('a catch-up job whose tick was skipped runs again as soon as the run ends, once', async () => {
  const s = createScheduler({ now: Date.now });
  const starts: number[] = [];
  const ends: number[] = [];
  s.add({
    name: 'crawl',
    schedule: '* * * * * *',
    catchUp: true,
    run: async () => {
      starts.push(Date.now());
      await sleep(2300); // spans two ticks: both are owed as one run
      ends.push(Date.now());
    },
  });
  s.start();
  await sleep(5200);
  await s.stop();
  const [st] = s.stats();
  assert.ok(starts.length >= 2, `runs started: ${starts.length}`);
  assert.ok(st!.caughtUp >= 1, `caught up ${st!.caughtUp}`);
  // The second run starts right after the first ends, not at the next whole-second tick.
  assert.ok(starts[1]! - ends[0]! < 100, `gap ${starts[1]! - ends[0]!} ms`);
  assert.ok(st!.skipped >= 2, `skipped ${st!.skipped}`);
});

test('a refused manual trigger owes no catch-up run', async () => {
  const s = createScheduler({ now: Date.now });
  let release!: () => void;
  let runs = 0;
  s.add({
    name: 'slow',
    schedule: '0 0 1 1 *',
    catchUp: true,
    run: () => {
      runs++;
      return new Promise<void>((r) => (release = r));
    },
  });
  assert.equal(s.trigger('slow'), true);
  assert.equal(s.trigger('slow'), false);
  release();
  await sleep(50);
  assert.equal(runs, 1, 'a refused manual trigger is not queued');
  await s.stop();
  assert.equal(s.stats()[0]!.caughtUp, 0);
});
