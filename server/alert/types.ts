/**
 * Alerting vocabulary shared by the rule engine (server/alert/engine*) and the notification channels
 * (server/alert/channels/*). The engine decides WHAT is firing; the notifier and channels decide HOW it
 * reaches people. Neither imports the other's internals, only this file.
 */

/** Lifecycle of one alert (identity = fingerprint of its labels), as Prometheus does it. */
export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The rules Ringwatch ships (closed; each is configurable but not renameable). */
export const RULE_NAMES = [
  'NodeLossNonLinear',
  'RingSplit',
  'PersistentInconsistency',
  'ThreadStalled',
  'MemoryGrowth',
  'DuplicateNodeId',
  'CrawlFailed',
  'CrawlerStale',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** One alert as stored and sent. labels always include `alertname` and `severity`. */
export interface Alert {
  fingerprint: string;
  rule: RuleName;
  state: AlertState;
  labels: Record<string, string>;
  /** summary, description, dashboard (a link to the view that shows the cause), … */
  annotations: Record<string, string>;
  /** When the condition was first seen (pending began). */
  activeAt: number;
  /** When it started firing (null while pending). */
  startsAt: number | null;
  /** When it resolved (null while active). */
  endsAt: number | null;
  /** Set while a silence matches it: the silence id. */
  silencedBy: number | null;
  /** Set while a firing ring-wide alert (RingSplit) inhibits it: that alert's fingerprint. */
  inhibitedBy: string | null;
  ack: { by: string; at: number; comment: string } | null;
}

/** What one notification carries: a group of alerts that changed together (firing or resolved). */
export interface Notification {
  /** Stable id of the group (e.g. rule name), for receivers that group. */
  groupKey: string;
  status: 'firing' | 'resolved';
  alerts: Alert[];
  /** Base URL of the dashboard, for links (may be empty). */
  externalUrl: string;
  /** true for the "send test notification" action. */
  test?: boolean;
}

/**
 * A notification channel. Contract: send() resolves when the receiver accepted the notification and
 * rejects with ChannelError otherwise (never hangs past its timeout). It has no retry of its own (the
 * notifier retries with backoff) and never logs secrets (webhook secrets, SMTP passwords).
 */
export interface Channel {
  readonly name: string;
  readonly kind: ChannelKind;
  send(n: Notification): Promise<void>;
  close?(): Promise<void>;
}

export const CHANNEL_KINDS = ['webhook', 'slack', 'alertmanager', 'email'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Why a delivery failed (closed); `retryable` decides whether the notifier tries again. */
export type ChannelErrorKind = 'timeout' | 'refused' | 'http_status' | 'smtp' | 'config' | 'other';

export class ChannelError extends Error {
  constructor(
    readonly kind: ChannelErrorKind,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

/** One delivery attempt series, as recorded. */
export type DeliveryStatus = 'pending' | 'sent' | 'failed';

/**
 * The notifier (server/alert/notifier.ts). Contract: notify() enqueues and returns at once: it never
 * blocks the caller (the alert engine, hence the crawler) and a failing or slow channel never delays the
 * others. Each (notification, channel) delivery is retried with exponential backoff on retryable errors
 * up to maxAttempts and recorded as sent or failed with its reason. test(channel) sends a test
 * notification and resolves with the outcome. close() waits for in-flight deliveries up to a timeout.
 */
export interface Notifier {
  notify(n: Notification): void;
  test(channelName: string): Promise<{ ok: boolean; error?: string }>;
  channels(): { name: string; kind: ChannelKind }[];
  idle(): Promise<void>;
  close(): Promise<void>;
}
