/**
 * Generic webhook: POSTs the notification as JSON in the Alertmanager webhook (version 4) shape, so any
 * receiver written for Alertmanager understands it. With a secret, the body is signed:
 * `X-Ringwatch-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>` and the send time in
 * `X-Ringwatch-Timestamp` (Unix seconds).
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Alert, Channel, Notification } from '../types.js';
import { ZERO_TIME, alertLink, alertStatus, common, rfc3339, startsAtOf } from './format.js';
import { createJsonPoster } from './http.js';

export interface WebhookOptions {
  name: string;
  url: string;
  secret?: string | undefined;
  timeoutMs: number;
}

/** One alert of the v4 payload. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The Alertmanager webhook payload, version 4. */
export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

function webhookAlert(a: Alert, externalUrl: string): WebhookAlert {
  return {
    status: alertStatus(a),
    labels: a.labels,
    annotations: a.annotations,
    startsAt: rfc3339(startsAtOf(a)),
    endsAt: a.endsAt === null ? ZERO_TIME : rfc3339(a.endsAt),
    generatorURL: alertLink(a, externalUrl),
    fingerprint: a.fingerprint,
  };
}

/** The v4 payload of a notification as received by `receiver` (the channel name). */
export function webhookPayload(n: Notification, receiver: string): WebhookPayload {
  const commonLabels = common(n.alerts.map((a) => a.labels));
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: 0,
    status: n.status,
    receiver,
    groupLabels: commonLabels.alertname !== undefined ? { alertname: commonLabels.alertname } : {},
    commonLabels,
    commonAnnotations: common(n.alerts.map((a) => a.annotations)),
    externalURL: n.externalUrl,
    alerts: n.alerts.map((a) => webhookAlert(a, n.externalUrl)),
  };
}

/** `sha256=<hex>`: the signature header value of `body` under `secret`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function createWebhookChannel(opts: WebhookOptions, deps: { clock: Clock }): Channel {
  const poster = createJsonPoster(opts.timeoutMs);
  return {
    name: opts.name,
    kind: 'webhook',
    async send(n) {
      const body = JSON.stringify(webhookPayload(n, opts.name));
      const headers: Record<string, string> = {};
      if (opts.secret) {
        headers['x-ringwatch-signature'] = signBody(opts.secret, body);
        headers['x-ringwatch-timestamp'] = String(Math.floor(deps.clock.now() / 1000));
      }
      await poster.post(opts.url, body, headers);
    },
    close: () => poster.close(),
  };
}
