/**
 * Push to a real Prometheus Alertmanager (`POST {url}/api/v2/alerts`), which then does its own routing,
 * grouping, silencing and delivery. A firing alert is posted without endsAt (Alertmanager keeps it
 * active for its `resolve_timeout` unless posted again); a resolved alert is posted with the same
 * labels and endsAt = the resolve time, which resolves it there. A test notification's alert ends five
 * minutes after it starts so it does not linger.
 */
import type { Clock } from '../../core/clock.js';
import type { Alert, Channel, Notification } from '../types.js';
import { alertLink, rfc3339, startsAtOf } from './format.js';
import { createJsonPoster } from './http.js';

export interface AlertmanagerOptions {
  name: string;
  /** Base URL of the Alertmanager (its web.external-url / listen address), without /api/v2. */
  url: string;
  timeoutMs: number;
}

/** One element of Alertmanager's `postableAlerts`. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

const TEST_ALERT_TTL_MS = 5 * 60_000;

/** Alertmanager treats an empty label value as an absent label; send only the set ones. */
function nonEmpty(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ''));
}

export function postableAlert(a: Alert, n: Notification, now: number): PostableAlert {
  const startsAt = startsAtOf(a);
  const out: PostableAlert = {
    labels: nonEmpty(a.labels),
    annotations: nonEmpty(a.annotations),
    startsAt: rfc3339(startsAt),
  };
  if (a.state === 'resolved' || n.status === 'resolved') {
    out.endsAt = rfc3339(Math.max(a.endsAt ?? now, startsAt));
  } else if (n.test) {
    out.endsAt = rfc3339(Math.max(now, startsAt) + TEST_ALERT_TTL_MS);
  }
  const link = alertLink(a, n.externalUrl);
  if (link) out.generatorURL = link;
  return out;
}

/** `{url}/api/v2/alerts`, whether or not the configured URL ends in a slash. */
export function alertsEndpoint(base: string): string {
  return `${base.replace(/\/+$/, '')}/api/v2/alerts`;
}

export function createAlertmanagerChannel(opts: AlertmanagerOptions, deps: { clock: Clock }): Channel {
  const poster = createJsonPoster(opts.timeoutMs);
  const endpoint = alertsEndpoint(opts.url);
  return {
    name: opts.name,
    kind: 'alertmanager',
    async send(n) {
      const now = deps.clock.now();
      await poster.post(
        endpoint,
        n.alerts.map((a) => postableAlert(a, n, now)),
      );
    },
    close: () => poster.close(),
  };
}
