/**
 * Rendering shared by the channels: timestamps in RFC 3339, dashboard links, the one-line headline
 * (`[FIRING:2] PersistentInconsistency`) and one readable line per alert. Pure functions of the
 * notification; no channel state, no secrets.
 */
import type { Alert, Notification } from '../types.js';

/** Alertmanager's "not set" time, used for endsAt while an alert fires. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** The status of one alert as receivers see it (pending alerts are not sent; treated as firing). */
export function alertStatus(a: Alert): 'firing' | 'resolved' {
  return a.state === 'resolved' ? 'resolved' : 'firing';
}

export function startsAtOf(a: Alert): number {
  return a.startsAt ?? a.activeAt;
}

/**
 * The link to the view that shows the alert's cause: its `dashboard` annotation made absolute against
 * externalUrl (when relative), else externalUrl itself; '' when there is nothing absolute to link to.
 */
export function alertLink(a: Alert, externalUrl: string): string {
  const dash = a.annotations.dashboard ?? '';
  if (dash && /^https?:\/\//i.test(dash) && URL.canParse(dash)) return dash;
  const base = externalUrl.replace(/\/+$/, '');
  if (!dash) return base;
  if (!base) return ''; // a relative link with no base URL leads nowhere
  return `${base}/${dash.replace(/^\/+/, '')}`;
}

/** The labels (or annotations) every alert of the group has with the same value. */
export function common(records: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = records;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) {
    if (rest.every((r) => r[k] === v)) out[k] = v;
  }
  return out;
}

/** The group's name for people: the common alertname, else the group key. */
export function groupName(n: Notification): string {
  const names = new Set(n.alerts.map((a) => a.labels.alertname ?? a.rule));
  return names.size === 1 ? [...names][0]! : n.groupKey;
}

/** `[FIRING:2] PersistentInconsistency` (with ` (test)` for a test notification). */
export function headline(n: Notification): string {
  const line = `[${n.status.toUpperCase()}:${n.alerts.length}] ${groupName(n)}`;
  return n.test ? `${line} (test notification)` : line;
}

/** Labels shown on an alert line: the node first, without the ones the headline already says. */
export function lineLabels(a: Alert): [string, string][] {
  const skip = new Set(['alertname', 'severity']);
  const entries = Object.entries(a.labels).filter(([k, v]) => !skip.has(k) && v !== '');
  const rank = (k: string) => (k === 'node' ? 0 : 1);
  return entries.sort(([x], [y]) => rank(x) - rank(y) || x.localeCompare(y));
}

/** One plain-text line of an alert: severity, labels, summary. */
export function alertLine(a: Alert): string {
  const parts = [a.labels.severity ?? 'unknown'];
  const labels = lineLabels(a)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (labels) parts.push(labels);
  const summary = a.annotations.summary ?? a.annotations.description ?? '';
  const head = parts.join(' ');
  return summary ? `${head}: ${summary}` : head;
}

/** The alerts listed in a message (the rest is summarised as "… and N more"). */
export const MAX_LISTED_ALERTS = 30;
