/**
 * Slack (and Slack-compatible: Mattermost, Rocket.Chat, …) incoming webhook: `{ text }` with the
 * headline `[FIRING:2] PersistentInconsistency` and one line per alert with its labels, summary and a
 * `<url|view in Ringwatch>` link to the view that shows the cause. The webhook URL is itself a secret:
 * errors name its origin only.
 */
import type { Channel, Notification } from '../types.js';
import { MAX_LISTED_ALERTS, alertLine, alertLink, alertStatus, headline } from './format.js';
import { createJsonPoster } from './http.js';

export interface SlackOptions {
  name: string;
  url: string;
  timeoutMs: number;
}

/** Slack's mrkdwn escaping of text (`&`, `<`, `>`). */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The message text of a notification. */
export function slackText(n: Notification): string {
  const lines = [slackEscape(headline(n))];
  for (const a of n.alerts.slice(0, MAX_LISTED_ALERTS)) {
    const mark = n.status !== alertStatus(a) ? ` (${alertStatus(a)})` : '';
    const link = alertLink(a, n.externalUrl);
    const linkText = link ? ` <${link.replace(/[|>]/g, encodeURIComponent)}|view in Ringwatch>` : '';
    lines.push(`- ${slackEscape(alertLine(a))}${mark}${linkText}`);
  }
  const more = n.alerts.length - MAX_LISTED_ALERTS;
  if (more > 0) lines.push(`… and ${more} more`);
  return lines.join('\n');
}

export function createSlackChannel(opts: SlackOptions): Channel {
  const poster = createJsonPoster(opts.timeoutMs);
  return {
    name: opts.name,
    kind: 'slack',
    async send(n) {
      await poster.post(opts.url, { text: slackText(n) });
    },
    close: () => poster.close(),
  };
}
