/**
 * The live stream client: socket.io with the session cookie, the subscribe handshake with catch-up
 * from the last crawl seen (docs/live.md), sequence-gap detection, and a connection status for the
 * header. Views listen to typed events and never touch the socket.
 */
import { io, type Socket } from 'socket.io-client';
import type { CatchUpMode, LiveEventMap, SubscribeAck } from './types.js';

/** connecting: first attempt; live: subscribed; reconnecting: lost, retrying; offline: gave up for now. */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** After each subscribe ack: how the client was brought up to date (reset: reload over REST). */
export interface ResyncEvent {
  mode: CatchUpMode;
  latestCrawlId: number | null;
}

export type LiveEvents = LiveEventMap & { resync: ResyncEvent };
export type LiveListener<K extends keyof LiveEvents> = (payload: LiveEvents[K]) => void;

/**
 * Contract:
 *  - start() connects (idempotent); close() disconnects for good and drops every listener.
 *  - on() returns its own unsubscribe; listeners run in event order, a throwing listener does not stop
 *    the others. Catch-up events arrive with `replayed: true` before the `resync` of their ack.
 *  - crawlId(): the crawl the stream's state corresponds to (the next subscribe's sinceCrawlId): the
 *    ack's latestCrawlId, then the toCrawlId of every delta seen.
 *  - A live event whose seq is not the previous + 1 triggers a new subscribe from crawlId().
 *  - A refused handshake `unauthenticated` calls onUnauthenticated and stops retrying (status offline).
 */
export interface LiveClient {
  start(): void;
  close(): void;
  status(): LiveStatus;
  onStatus(cb: (s: LiveStatus) => void): () => void;
  on<K extends keyof LiveEvents>(name: K, cb: LiveListener<K>): () => void;
  crawlId(): number | null;
}

/** The socket operations the client uses (socket.io-client's Socket satisfies it). */
export type LiveSocket = Pick<Socket, 'on' | 'connect' | 'disconnect' | 'emit' | 'active'>;

export interface LiveDeps {
  /** Default: socket.io-client on this page's origin. */
  connect?: () => LiveSocket;
  onUnauthenticated?: () => void;
  /** Failed reconnect attempts before the status shows offline (retrying goes on). Default 4. */
  offlineAfter?: number;
  onError?: (err: unknown) => void;
}

const EVENTS: (keyof LiveEventMap)[] = [
  'crawl:started',
  'crawl:progress',
  'crawl:finished',
  'crawl:delta',
  'findings:new',
  'signals',
  'alert:changed',
  'logs:pulled',
];

export function defaultConnect(): LiveSocket {
  return io({
    path: '/socket.io',
    autoConnect: false,
    withCredentials: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    timeout: 10_000,
  });
}

export function createLive(deps: LiveDeps = {}): LiveClient {
  const listeners = new Map<keyof LiveEvents, Set<(p: never) => void>>();
  const statusListeners = new Set<(s: LiveStatus) => void>();
  let socket: LiveSocket | null = null;
  let status: LiveStatus = 'connecting';
  let crawlId: number | null = null;
  let lastSeq: number | null = null;
  let failures = 0;
  let closed = false;
  let subscribing = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  const offlineAfter = deps.offlineAfter ?? 4;

  const setStatus = (s: LiveStatus) => {
    if (s === status) return;
    status = s;
    for (const cb of [...statusListeners]) cb(s);
  };

  function dispatch<K extends keyof LiveEvents>(name: K, payload: LiveEvents[K]) {
    for (const cb of [...(listeners.get(name) ?? [])]) {
      try {
        (cb as LiveListener<K>)(payload);
      } catch (err) {
        deps.onError?.(err);
      }
    }
  }

  const noteDelta = (to: number | undefined) => {
    if (to !== undefined && (crawlId === null || to > crawlId)) crawlId = to;
  };

  function subscribe() {
    if (!socket || closed) return;
    const attempt = ++subscribing;
    lastSeq = null;
    const s = socket;
    s.emit('subscribe', crawlId === null ? {} : { sinceCrawlId: crawlId }, (ack: SubscribeAck) => {
      if (attempt !== subscribing || closed) return;
      if (ack.mode === 'error') {
        deps.onError?.(new Error(`subscribe failed: ${ack.error.code} ${ack.error.message}`));
        retryTimer = setTimeout(subscribe, 2000);
        return;
      }
      lastSeq = ack.seq;
      if (ack.mode === 'reset' || ack.latestCrawlId !== null) crawlId = ack.latestCrawlId;
      failures = 0;
      setStatus('live');
      dispatch('resync', { mode: ack.mode, latestCrawlId: ack.latestCrawlId });
    });
  }

  function onEvent<K extends keyof LiveEventMap>(name: K, payload: LiveEventMap[K]) {
    if (!payload.replayed) {
      if (lastSeq === null) return; // not subscribed yet (or resubscribing): the catch-up covers it
      if (payload.seq !== lastSeq + 1) {
        subscribe();
        return;
      }
      lastSeq = payload.seq;
    }
    if (name === 'crawl:finished') noteDelta((payload as LiveEventMap['crawl:finished']).delta?.toCrawlId);
    if (name === 'crawl:delta') noteDelta((payload as LiveEventMap['crawl:delta']).delta.toCrawlId);
    dispatch(name, payload as LiveEvents[K]);
  }

  function start() {
    if (socket || closed) return;
    const s = (deps.connect ?? defaultConnect)();
    socket = s;
    s.on('connect', () => {
      subscribe();
    });
    s.on('disconnect', (reason: string) => {
      lastSeq = null;
      if (closed) return;
      setStatus('reconnecting');
      // The server ended the session (logout, revoked): socket.io will not retry by itself.
      if (reason === 'io server disconnect') retryTimer = setTimeout(() => s.connect(), 1000);
    });
    s.on('connect_error', (err: Error) => {
      if (closed) return;
      failures++;
      if (err.message === 'unauthenticated') {
        setStatus('offline');
        deps.onUnauthenticated?.();
        return;
      }
      setStatus(
        failures >= offlineAfter ? 'offline' : status === 'connecting' ? 'connecting' : 'reconnecting',
      );
      // A refusal by the server's middleware is not retried by socket.io itself.
      if (!s.active) {
        retryTimer = setTimeout(() => s.connect(), Math.min(10_000, 500 * 2 ** Math.min(failures, 5)));
      }
    });
    for (const name of EVENTS) {
      s.on(name, (payload: LiveEventMap[typeof name]) => onEvent(name, payload));
    }
    s.connect();
  }

  return {
    start,
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      socket?.disconnect();
      socket = null;
      listeners.clear();
      statusListeners.clear();
      setStatus('offline');
    },
    status: () => status,
    onStatus(cb) {
      statusListeners.add(cb);
      return () => statusListeners.delete(cb);
    },
    on(name, cb) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(cb);
      return () => set.delete(cb);
    },
    crawlId: () => crawlId,
  };
}
