/**
 * The live stream's public contract: event names, payload shapes, the subscribe handshake and the hub
 * interface. docs/live.md documents the same shapes for client authors; keep the two in step.
 */
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { z } from 'zod';
import { ALERT_STATES, RULE_NAMES } from '../alert/types.js';
import type { Auth } from '../auth/types.js';
import type { Clock } from '../core/clock.js';
import type { CrawlNodeState, CrawlStrategy } from '../core/model.js';
import type { Signal } from '../detect/index.js';
import type { ApiErrorBody } from '../http/errors.js';
import type { CrawlSummary, PipelineEvent } from '../pipeline/crawl-pipeline.js';
import type { Store, StoredFinding, TopologyEdge, TopologyNode } from '../store/index.js';

/** Server → client event names (closed). */
export const LIVE_EVENTS = [
  'crawl:started',
  'crawl:progress',
  'crawl:finished',
  'crawl:delta',
  'findings:new',
  'signals',
  'alert:changed',
  'logs:pulled',
] as const;
export type LiveEventName = (typeof LIVE_EVENTS)[number];

/** The room of subscribed sockets; only they receive events. */
export const LIVE_ROOM = 'live';

/**
 * A change set between two crawls' topologies as sent on the wire. `findings` is present for the delta
 * of one crawl (crawl:finished) and absent on a combined catch-up delta (crawl:delta), whose findings
 * the client reloads over REST.
 */
export interface WireDelta {
  /** The crawl whose topology the delta applies to (null: an empty ring, i.e. the very first crawl). */
  fromCrawlId: number | null;
  /** The crawl whose topology results from applying it. */
  toCrawlId: number;
  nodes: {
    added: TopologyNode[];
    removed: string[];
    changed: { key: string; from: CrawlNodeState; to: CrawlNodeState }[];
  };
  edges: { added: TopologyEdge[]; removed: TopologyEdge[] };
  findings?: { opened: StoredFinding[]; closed: StoredFinding[] };
}

/** Every payload has `seq`: hub-wide, increasing by one per live event (see docs/live.md). */
export interface Sequenced {
  seq: number;
  /** Set on events sent as catch-up for one subscriber; they carry their original seq (replays). */
  replayed?: true;
}

export interface CrawlStartedPayload extends Sequenced {
  crawlId: number;
  strategy: CrawlStrategy;
  startedAt: number;
}

export interface CrawlProgressPayload extends Sequenced {
  crawlId: number;
  visited: number;
  queued: number;
  inFlight: number;
  ok: number;
  failed: number;
}

export interface CrawlFinishedPayload extends Sequenced {
  crawlId: number;
  summary: CrawlSummary;
  /** null when the crawl failed or was aborted (nothing was recorded, the topology is unchanged). */
  delta: WireDelta | null;
}

/** Catch-up only: everything that changed between the subscriber's crawl and the latest one. */
export interface CrawlDeltaPayload extends Sequenced {
  replayed: true;
  delta: WireDelta;
}

export interface FindingsNewPayload extends Sequenced {
  crawlId: number;
  findings: StoredFinding[];
}

export interface SignalsPayload extends Sequenced {
  crawlId: number;
  /** Signals newly active (active: true) or cleared (active: false) in this crawl. */
  changed: Signal[];
}

/** What the alert layer publishes: the whole alert after each change (see server/alert/types.ts). */
export const AlertChangeSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('alert_changed'),
    alert: z.object({
      fingerprint: z.string().min(1),
      rule: z.enum(RULE_NAMES),
      state: z.enum(ALERT_STATES),
      labels: z.record(z.string(), z.string()),
      annotations: z.record(z.string(), z.string()),
      activeAt: z.number().int().nonnegative(),
      startsAt: z.number().int().nonnegative().nullable(),
      endsAt: z.number().int().nonnegative().nullable(),
      silencedBy: z.number().int().nullable(),
      inhibitedBy: z.string().nullable(),
      ack: z.object({ by: z.string(), at: z.number(), comment: z.string() }).nullable(),
    }),
  }),
]);
export type AlertChange = z.infer<typeof AlertChangeSchema>;

export interface AlertChangedPayload extends Sequenced {
  alert: AlertChange['alert'];
}

/** A node's logs were pulled through the API (who, how much); never the log lines themselves. */
export const LogPullSchema = z.strictObject({
  nodeKey: z.string().min(1),
  pullId: z.string().min(1),
  requestedBy: z.string().min(1),
  lines: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  at: z.number().int().nonnegative(),
});
export type LogPull = z.infer<typeof LogPullSchema>;

export interface LogsPulledPayload extends Sequenced, LogPull {}

/** Payload type of each event. */
export interface LiveEventMap {
  'crawl:started': CrawlStartedPayload;
  'crawl:progress': CrawlProgressPayload;
  'crawl:finished': CrawlFinishedPayload;
  'crawl:delta': CrawlDeltaPayload;
  'findings:new': FindingsNewPayload;
  signals: SignalsPayload;
  'alert:changed': AlertChangedPayload;
  'logs:pulled': LogsPulledPayload;
}

/** Client → server: `subscribe` with this (or nothing), and an ack callback. */
export const SubscribeSchema = z
  .strictObject({ sinceCrawlId: z.number().int().nonnegative().optional() })
  .optional();
export type SubscribeRequest = z.infer<typeof SubscribeSchema>;

/** How the subscriber was brought up to date (closed). */
export const CATCH_UP_MODES = ['replay', 'delta', 'reset'] as const;
export type CatchUpMode = (typeof CATCH_UP_MODES)[number];

/**
 * The subscribe ack. latestCrawlId: the crawl the client's state now corresponds to (its next
 * sinceCrawlId; null when nothing was ever recorded). seq: the last seq sent before the client joined
 * the live stream; the next live event has seq + 1.
 */
export type SubscribeAck =
  { mode: CatchUpMode; latestCrawlId: number | null; seq: number } | ({ mode: 'error' } & ApiErrorBody);

export interface LiveHubDeps {
  io: Server;
  auth: Pick<Auth, 'authenticate'>;
  store: Pick<Store, 'latestCrawl' | 'topologyAt' | 'getCrawl'>;
  clock: Clock;
  logger?: Pick<Logger, 'warn' | 'debug'>;
}

export interface LiveHubOptions {
  /** At most one crawl:progress per crawl per this many ms (the final one is always sent). Default 250. */
  progressIntervalMs?: number;
  /** Finished crawls kept for replay to reconnecting clients. Default 200. */
  bufferCrawls?: number;
  /** How often connected sockets' credentials are checked again. Default 60 000. */
  authRecheckMs?: number;
}

/**
 * Contract:
 *  - Connections authenticate in the handshake (session cookie header or `auth.token`, an API token);
 *    without valid credentials they are refused with Error('unauthenticated'). Every role may connect.
 *    Credentials are checked again every authRecheckMs; sockets whose credentials stopped being valid
 *    are disconnected.
 *  - A socket receives nothing until it emits `subscribe`; then catch-up (see SubscribeAck), then every
 *    live event in seq order. publish*() never throw and never wait for clients.
 *  - stats(): connected sockets and event messages sent (one per recipient).
 *  - close() stops timers, refuses new connections and disconnects this hub's sockets; it does not
 *    close `io` (its owner does). Idempotent.
 */
export interface LiveHub {
  publish(e: PipelineEvent): void;
  publishAlert(change: AlertChange): void;
  publishLogPull(p: LogPull): void;
  stats(): { clients: number; sent: number };
  close(): Promise<void>;
}
