/**
 * The notifier: delivers each notification to every channel through a queue of that channel's own, so
 * a slow or failing channel never delays the others or the caller (notify() only enqueues). Retryable
 * ChannelErrors are retried with exponential backoff and jitter up to maxAttempts; every
 * (notification, channel) attempt series is one row of `notifications` (migrations/007), written with
 * the injected clock. Within one channel, notifications go out in the order they were notified.
 */
import { AsyncResource } from 'node:async_hooks';
import pino from 'pino';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Database } from '../store/db.js';
import type { Alert, Channel, DeliveryStatus, Notification, Notifier } from './types.js';
import { ChannelError } from './types.js';

export interface NotifierDeps {
  db: Database;
  clock: Clock;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Waits between attempts (default: a timer of the clock); resolves early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

export interface NotifierOptions {
  /** Attempts per delivery, the first included (default 5). */
  maxAttempts?: number;
  /** Delay after the first failed attempt before jitter (default 1000 ms); doubles per attempt. */
  backoffBaseMs?: number;
  /** Upper bound of a delay before jitter (default 60000 ms). */
  backoffMaxMs?: number;
  /** Longest one send may take, on the clock, before it counts as a retryable timeout (default 10000). */
  timeoutMs?: number;
  /** Deliveries queued per channel; beyond it the oldest queued one is dropped as failed (default 1000). */
  maxQueue?: number;
  /** How long close() lets queued deliveries go on before failing the rest (default 10000 ms). */
  closeTimeoutMs?: number;
}

/** One recorded delivery (a row of `notifications`). */
export interface Delivery {
  id: number;
  channel: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  fingerprints: string[];
  state: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  test: boolean;
  createdAt: number;
  sentAt: number | null;
}

/**
 * A Notifier that also lists what it delivered. Contract: deliveries() pages newest first (by id);
 * `before` is an id cursor (exclusive); rows of deliveries still in progress show state `pending`.
 */
export interface RecordingNotifier extends Notifier {
  deliveries(page: { limit: number; before?: number | undefined }): Promise<Delivery[]>;
}

interface Job {
  n: Notification;
  row: Promise<number | null>;
}

interface Lane {
  channel: Channel;
  queue: Job[];
  running: boolean;
}

interface Row {
  id: number;
  channel: string;
  group_key: string;
  status: 'firing' | 'resolved';
  fingerprints: string;
  state: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  test: number;
  created_at: number;
  sent_at: number | null;
}

function fromRow(r: Row): Delivery {
  return {
    id: r.id,
    channel: r.channel,
    groupKey: r.group_key,
    status: r.status,
    fingerprints: JSON.parse(r.fingerprints) as string[],
    state: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    test: r.test === 1,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  };
}

/** The delay before attempt `failed + 1`: base·2^(failed−1) capped at max, then equal jitter (½ to 1×). */
export function backoffDelay(
  failed: number,
  opts: { backoffBaseMs: number; backoffMaxMs: number },
  random: () => number,
): number {
  const raw = Math.min(opts.backoffMaxMs, opts.backoffBaseMs * 2 ** Math.max(0, failed - 1));
  return Math.round(raw / 2 + (random() * raw) / 2);
}

/** The notification the "send test notification" action sends: one firing fake alert. */
export function testNotification(now: number, externalUrl = ''): Notification {
  const alert: Alert = {
    fingerprint: 'ringwatch-test',
    rule: 'CrawlFailed',
    state: 'firing',
    labels: { alertname: 'RingwatchTest', severity: 'info', test: 'true' },
    annotations: {
      summary: 'Test notification from Ringwatch: this channel works.',
      description: 'Sent by the "send test notification" action; no real alert is firing.',
    },
    activeAt: now,
    startsAt: now,
    endsAt: null,
    silencedBy: null,
    inhibitedBy: null,
    ack: null,
  };
  return { groupKey: 'ringwatch-test', status: 'firing', alerts: [alert], externalUrl, test: true };
}

function reasonOf(err: unknown): ChannelError {
  if (err instanceof ChannelError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new ChannelError('other', msg, false);
}

export function createNotifier(
  deps: NotifierDeps,
  channels: Channel[],
  opts: NotifierOptions = {},
): RecordingNotifier {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const backoff = { backoffBaseMs: opts.backoffBaseMs ?? 1000, backoffMaxMs: opts.backoffMaxMs ?? 60_000 };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxQueue = Math.max(1, opts.maxQueue ?? 1000);
  const closeTimeoutMs = opts.closeTimeoutMs ?? 10_000;
  const { db, clock } = deps;
  const logger = deps.logger ?? pino({ enabled: false });
  const random = deps.random ?? Math.random;
  const stop = new AbortController();
  const sleep =
    deps.sleep ??
    ((ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const onAbort = () => {
          clock.clearTimeout(handle);
          resolve();
        };
        const handle = clock.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        signal.addEventListener('abort', onAbort, { once: true });
      }));

  /**
   * The async context of the notifier's creation: deliveries run in it, not in the caller's, so a
   * notify() from inside a database transaction of the engine neither joins that transaction (and is
   * rolled back with it) nor keeps writing into it.
   */
  const home = new AsyncResource('RingwatchNotifier');

  const names = new Set<string>();
  for (const c of channels) {
    if (names.has(c.name)) throw new Error(`duplicate channel name ${c.name}`);
    names.add(c.name);
  }
  const lanes = new Map<string, Lane>(
    channels.map((c) => [c.name, { channel: c, queue: [], running: false }]),
  );
  /** Work not tied to a lane (test sends, row writes of dropped jobs). */
  const side = new Set<Promise<unknown>>();
  let idleWaiters: (() => void)[] = [];
  let closing: Promise<void> | null = null;

  const track = <T>(p: Promise<T>): Promise<T> => {
    side.add(p);
    const done = () => {
      side.delete(p);
      checkIdle();
    };
    p.then(done, done);
    return p;
  };

  function isIdle(): boolean {
    if (side.size > 0) return false;
    for (const lane of lanes.values()) if (lane.running || lane.queue.length > 0) return false;
    return true;
  }

  function idle(): Promise<void> {
    if (isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => idleWaiters.push(resolve));
  }

  function checkIdle(): void {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Runs a DB write; failures are logged, never thrown (the delivery itself goes on). */
  async function write<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      logger.error({ err: (err as Error).message }, `notifier: could not record ${what}`);
      return null;
    }
  }

  function insertRow(channel: string, n: Notification): Promise<number | null> {
    return write('a delivery', async () => {
      const r = await db.run(
        `INSERT INTO notifications (channel, group_key, status, fingerprints, state, attempts, test, created_at)
         VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
        [
          channel,
          n.groupKey,
          n.status,
          JSON.stringify(n.alerts.map((a) => a.fingerprint)),
          n.test ? 1 : 0,
          clock.now(),
        ],
      );
      return r.lastID;
    });
  }

  async function updateRow(
    id: number | null,
    state: DeliveryStatus,
    attempts: number,
    error: string | null,
  ): Promise<void> {
    if (id === null) return;
    await write('an attempt', () =>
      db.run(
        `UPDATE notifications SET state = ?, attempts = ?, last_error = COALESCE(?, last_error), sent_at = ?
         WHERE id = ?`,
        [state, attempts, error, state === 'sent' ? clock.now() : null, id],
      ),
    );
  }

  /** One send, cut off after timeoutMs on the clock (the channel's own timeout normally comes first). */
  function sendOnce(channel: Channel, n: Notification): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(
        () => reject(new ChannelError('timeout', `no answer within ${timeoutMs} ms`, true)),
        timeoutMs,
      );
      Promise.resolve()
        .then(() => channel.send(n))
        .then(
          () => {
            clock.clearTimeout(timer);
            resolve();
          },
          (err: unknown) => {
            clock.clearTimeout(timer);
            reject(reasonOf(err));
          },
        );
    });
  }

  /** Attempts a delivery until sent, a final error, maxAttempts, or close() gives up. */
  async function deliver(channel: Channel, job: Job): Promise<void> {
    const id = await job.row;
    for (let attempt = 1; ; attempt++) {
      if (stop.signal.aborted) {
        await updateRow(id, 'failed', attempt - 1, 'notifier closed before delivery');
        return;
      }
      try {
        await sendOnce(channel, job.n);
        await updateRow(id, 'sent', attempt, null);
        logger.info(
          { channel: channel.name, groupKey: job.n.groupKey, attempts: attempt },
          'notification sent',
        );
        return;
      } catch (err) {
        const e = reasonOf(err);
        const reason = `${e.kind}: ${e.message}`;
        const final = !e.retryable || attempt >= maxAttempts;
        await updateRow(id, final ? 'failed' : 'pending', attempt, reason);
        if (final) {
          logger.warn(
            { channel: channel.name, groupKey: job.n.groupKey, attempts: attempt, reason },
            'notification failed',
          );
          return;
        }
        await sleep(backoffDelay(attempt, backoff, random), stop.signal);
      }
    }
  }

  async function run(lane: Lane): Promise<void> {
    lane.running = true;
    try {
      for (let job = lane.queue.shift(); job; job = lane.queue.shift()) {
        try {
          await deliver(lane.channel, job);
        } catch (err) {
          logger.error(
            { channel: lane.channel.name, err: (err as Error).message },
            'notifier: delivery crashed',
          );
        }
      }
    } finally {
      lane.running = false;
      checkIdle();
    }
  }

  function enqueue(lane: Lane, n: Notification): void {
    lane.queue.push({ n, row: track(insertRow(lane.channel.name, n)) });
    if (lane.queue.length > maxQueue) {
      const dropped = lane.queue.shift()!;
      logger.warn({ channel: lane.channel.name, groupKey: dropped.n.groupKey }, 'notification queue full');
      void track(dropped.row.then((id) => updateRow(id, 'failed', 0, 'dropped: queue full')));
    }
    if (!lane.running) void run(lane);
  }

  return {
    notify(n) {
      if (closing) {
        logger.warn({ groupKey: n.groupKey }, 'notifier closed: notification dropped');
        return;
      }
      home.runInAsyncScope(() => {
        for (const lane of lanes.values()) enqueue(lane, n);
      });
    },

    test(channelName) {
      const lane = lanes.get(channelName);
      if (!lane) return Promise.resolve({ ok: false, error: `no channel named ${channelName}` });
      if (closing) return Promise.resolve({ ok: false, error: 'notifier is closed' });
      const n = testNotification(clock.now());
      return home.runInAsyncScope(() =>
        track(
          (async () => {
            const id = await insertRow(channelName, n);
            try {
              await sendOnce(lane.channel, n);
              await updateRow(id, 'sent', 1, null);
              return { ok: true };
            } catch (err) {
              const e = reasonOf(err);
              const error = `${e.kind}: ${e.message}`;
              await updateRow(id, 'failed', 1, error);
              return { ok: false, error };
            }
          })(),
        ),
      );
    },

    channels() {
      return channels.map((c) => ({ name: c.name, kind: c.kind }));
    },

    idle,

    async deliveries({ limit, before }) {
      const n = Math.max(1, Math.min(1000, Math.floor(limit)));
      const rows =
        before === undefined
          ? await db.all<Row>(`SELECT * FROM notifications ORDER BY id DESC LIMIT ?`, [n])
          : await db.all<Row>(`SELECT * FROM notifications WHERE id < ? ORDER BY id DESC LIMIT ?`, [
              before,
              n,
            ]);
      return rows.map(fromRow);
    },

    close() {
      closing ??= (async () => {
        const drained = idle();
        await new Promise<void>((resolve) => {
          const timer = clock.setTimeout(resolve, closeTimeoutMs);
          void drained.then(() => {
            clock.clearTimeout(timer);
            resolve();
          });
        });
        stop.abort(); // queued and backing-off deliveries now end as failed
        await idle();
        for (const c of channels) {
          try {
            await c.close?.();
          } catch (err) {
            logger.warn({ channel: c.name, err: (err as Error).message }, 'channel close failed');
          }
        }
      })();
      return closing;
    },
  };
}
