/**
 * The live hub: turns pipeline, alert and log-pull events into socket.io events for subscribed clients,
 * with a hub-wide sequence number, throttled progress, and catch-up for clients that reconnect.
 */
import type { Socket } from 'socket.io';
import { z } from 'zod';
import { signalKey, type Signal } from '../detect/index.js';
import { errorBody, issuesOf } from '../http/errors.js';
import type { PipelineEvent } from '../pipeline/crawl-pipeline.js';
import { installSocketAuth } from './auth.js';
import { createFinishedBuffer } from './buffer.js';
import { catchUpFromStore } from './catch-up.js';
import { toWireDelta } from './delta.js';
import { createProgressThrottle } from './progress.js';
import {
  AlertChangeSchema,
  LIVE_ROOM,
  LogPullSchema,
  SubscribeSchema,
  type AlertChange,
  type CatchUpMode,
  type CrawlFinishedPayload,
  type LiveEventMap,
  type LiveHub,
  type LiveHubDeps,
  type LiveHubOptions,
  type LogPull,
  type SubscribeAck,
} from './types.js';

const OptionsSchema = z.strictObject({
  progressIntervalMs: z.number().int().nonnegative().default(250),
  bufferCrawls: z.number().int().nonnegative().default(200),
  authRecheckMs: z.number().int().positive().default(60_000),
});

type Ack = (answer: SubscribeAck) => void;

export function createLiveHub(deps: LiveHubDeps, options: LiveHubOptions = {}): LiveHub {
  const opts = OptionsSchema.parse(options);
  const { io, clock, logger } = deps;
  const nsp = io.of('/');
  const guard = installSocketAuth({ io, auth: deps.auth, clock, logger }, opts.authRecheckMs);
  const buffer = createFinishedBuffer(opts.bufferCrawls);
  /** Keys of the signals active after the last recorded crawl this hub saw. */
  let activeSignals: Set<string> | null = null;
  let seq = 0;
  let sent = 0;
  let closed = false;
  /** Per socket: bumped by every subscribe, so a slower earlier one does not finish after a later one. */
  const generation = new WeakMap<Socket, number>();

  function broadcast<E extends keyof LiveEventMap>(name: E, payload: Omit<LiveEventMap[E], 'seq'>): number {
    const full = { ...payload, seq: ++seq } as LiveEventMap[E];
    sent += nsp.adapter.rooms.get(LIVE_ROOM)?.size ?? 0;
    nsp.to(LIVE_ROOM).emit(name, full);
    return full.seq;
  }

  function send<E extends keyof LiveEventMap>(socket: Socket, name: E, payload: LiveEventMap[E]) {
    sent++;
    socket.emit(name, payload);
  }

  const throttle = createProgressThrottle(clock, opts.progressIntervalMs, (crawlId, p) =>
    broadcast('crawl:progress', {
      crawlId,
      visited: p.visited,
      queued: p.queued,
      inFlight: p.inFlight,
      ok: p.ok,
      failed: p.failed,
    }),
  );

  /** Signals newly active or cleared in this crawl, against what the hub saw last (all, after a start). */
  function changedSignals(signals: Signal[]): Signal[] {
    const before = activeSignals;
    const changed = signals.filter((s) => !s.active || !before?.has(signalKey(s)));
    activeSignals = new Set(signals.filter((s) => s.active).map(signalKey));
    return changed;
  }

  function publishFinished(e: Extract<PipelineEvent, { type: 'crawl_finished' }>) {
    const crawlId = e.summary.crawlId;
    throttle.finish(crawlId);
    const payload: Omit<CrawlFinishedPayload, 'seq'> = {
      crawlId,
      summary: e.summary,
      delta: e.delta ? toWireDelta(e.delta) : null,
    };
    const seqOf = broadcast('crawl:finished', payload);
    buffer.push({ ...payload, seq: seqOf });
    if (e.delta && e.delta.findingsOpened.length > 0) {
      broadcast('findings:new', { crawlId, findings: e.delta.findingsOpened });
    }
    if (e.summary.state !== 'succeeded') return;
    const changed = changedSignals(e.signals);
    if (changed.length > 0) broadcast('signals', { crawlId, changed });
  }

  /** Replay `items`, ack, then join the room: synchronous, so no live event slips in between or is lost. */
  function complete(
    socket: Socket,
    ack: Ack | undefined,
    mode: CatchUpMode,
    latestCrawlId: number | null,
    items: CrawlFinishedPayload[],
  ) {
    let latest = latestCrawlId;
    for (const p of items) {
      send(socket, 'crawl:finished', { ...p, replayed: true });
      if (p.delta) latest = p.delta.toCrawlId;
    }
    ack?.({ mode, latestCrawlId: latest, seq });
    void socket.join(LIVE_ROOM);
  }

  async function subscribe(socket: Socket, raw: unknown, ack: Ack | undefined) {
    const gen = (generation.get(socket) ?? 0) + 1;
    generation.set(socket, gen);
    void socket.leave(LIVE_ROOM);
    const parsed = SubscribeSchema.safeParse(raw);
    if (!parsed.success) {
      ack?.({ mode: 'error', ...errorBody('bad_request', 'invalid subscribe', issuesOf(parsed.error)) });
      return;
    }
    const since = parsed.data?.sinceCrawlId;
    const replay = since === undefined ? null : buffer.replayFrom(since);
    if (replay) return complete(socket, ack, 'replay', since!, replay);

    let plan: Awaited<ReturnType<typeof catchUpFromStore>>;
    try {
      plan = await catchUpFromStore(deps.store, since);
    } catch (err) {
      logger?.warn({ err }, 'live: catch-up from the store failed');
      if (generation.get(socket) === gen && socket.connected) {
        ack?.({ mode: 'error', ...errorBody('unavailable', 'catch-up failed; subscribe again') });
      }
      return;
    }
    if (closed || generation.get(socket) !== gen || !socket.connected) return;
    if (plan.mode === 'reset') return complete(socket, ack, 'reset', plan.latestCrawlId, []);
    send(socket, 'crawl:delta', { seq, replayed: true, delta: plan.delta });
    // Crawls that finished while the store was read (or after the latest recorded one) come on top.
    complete(socket, ack, 'delta', plan.latestCrawlId, buffer.after(plan.latestCrawlId));
  }

  function onConnection(socket: Socket) {
    if (!guard.principalOf(socket)) return;
    socket.on('subscribe', (raw: unknown, maybeAck?: unknown) => {
      // emit('subscribe', ack) without a payload puts the ack first.
      let payload = raw;
      let ack = maybeAck;
      if (typeof raw === 'function' && maybeAck === undefined) [payload, ack] = [undefined, raw];
      void subscribe(socket, payload, typeof ack === 'function' ? (ack as Ack) : undefined);
    });
  }
  nsp.on('connection', onConnection);

  function guarded(what: string, fn: () => void) {
    if (closed) return;
    try {
      fn();
    } catch (err) {
      logger?.warn({ err }, `live: publishing ${what} failed`);
    }
  }

  return {
    publish(e) {
      guarded(e.type, () => {
        switch (e.type) {
          case 'crawl_started':
            broadcast('crawl:started', { crawlId: e.crawlId, strategy: e.strategy, startedAt: e.startedAt });
            return;
          case 'crawl_progress':
            throttle.report(e.crawlId, e.progress);
            return;
          case 'crawl_finished':
            publishFinished(e);
            return;
        }
      });
    },
    publishAlert(change: AlertChange) {
      guarded('alert', () => {
        const r = AlertChangeSchema.safeParse(change);
        if (!r.success) {
          logger?.warn({ issues: issuesOf(r.error) }, 'live: invalid alert change dropped');
          return;
        }
        broadcast('alert:changed', { alert: r.data.alert });
      });
    },
    publishLogPull(p: LogPull) {
      guarded('log pull', () => {
        const r = LogPullSchema.safeParse(p);
        if (!r.success) {
          logger?.warn({ issues: issuesOf(r.error) }, 'live: invalid log pull dropped');
          return;
        }
        broadcast('logs:pulled', r.data);
      });
    },
    stats: () => ({ clients: guard.clients(), sent }),
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      throttle.close();
      nsp.off('connection', onConnection);
      for (const socket of [...nsp.sockets.values()]) {
        if (guard.principalOf(socket)) socket.disconnect(true);
      }
      guard.close();
      return Promise.resolve();
    },
  };
}
