/**
 * E-mail over SMTP (nodemailer, one non-pooled transport per channel). Subject = the headline
 * (`[FIRING:2] PersistentInconsistency`), a plain-text body and a simple HTML alternative. SMTP
 * permanent failures (5xx replies, authentication, bad addresses) are final; connection problems,
 * timeouts and 4xx replies are retried. The password is never logged (nodemailer's logger is off).
 */
import nodemailer from 'nodemailer';
import type { Channel, Notification } from '../types.js';
import { ChannelError } from '../types.js';
import { MAX_LISTED_ALERTS, alertLine, alertLink, alertStatus, headline } from './format.js';

export interface EmailOptions {
  name: string;
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when offered (see ignoreTLS/requireTLS). */
  secure: boolean;
  auth?: { user: string; pass: string } | undefined;
  from: string;
  to: string[];
  ignoreTLS: boolean;
  requireTLS: boolean;
  timeoutMs: number;
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function listed(n: Notification) {
  return { shown: n.alerts.slice(0, MAX_LISTED_ALERTS), more: n.alerts.length - MAX_LISTED_ALERTS };
}

/** The plain-text body. */
export function emailText(n: Notification): string {
  const { shown, more } = listed(n);
  const lines = [headline(n), ''];
  for (const a of shown) {
    const mark = n.status !== alertStatus(a) ? ` (${alertStatus(a)})` : '';
    lines.push(`- ${alertLine(a)}${mark}`);
    const link = alertLink(a, n.externalUrl);
    if (link) lines.push(`  ${link}`);
  }
  if (more > 0) lines.push(`… and ${more} more`);
  if (n.test) lines.push('', 'This is a test notification sent from Ringwatch.');
  return `${lines.join('\n')}\n`;
}

/** The HTML alternative (same content, escaped). */
export function emailHtml(n: Notification): string {
  const { shown, more } = listed(n);
  const items = shown.map((a) => {
    const mark = n.status !== alertStatus(a) ? ` (${alertStatus(a)})` : '';
    const link = alertLink(a, n.externalUrl);
    const anchor = link ? ` <a href="${escapeHtml(link)}">view in Ringwatch</a>` : '';
    return `<li>${escapeHtml(alertLine(a) + mark)}${anchor}</li>`;
  });
  if (more > 0) items.push(`<li>… and ${more} more</li>`);
  const note = n.test ? '<p>This is a test notification sent from Ringwatch.</p>' : '';
  return `<h3>${escapeHtml(headline(n))}</h3>\n<ul>\n${items.join('\n')}\n</ul>\n${note}`;
}

interface SmtpFailure {
  code?: unknown;
  responseCode?: unknown;
  name?: unknown;
  message?: unknown;
}

/** Maps a nodemailer failure to a ChannelError. */
export function smtpError(err: unknown, where: string, timeoutMs: number): ChannelError {
  if (err instanceof ChannelError) return err;
  const e = (err && typeof err === 'object' ? err : {}) as SmtpFailure;
  const code = typeof e.code === 'string' ? e.code : '';
  const reply = typeof e.responseCode === 'number' ? e.responseCode : 0;
  const msg = typeof e.message === 'string' ? e.message : String(err);
  if (code === 'ETIMEDOUT' || code === 'EABORT' || e.name === 'AbortError' || e.name === 'TimeoutError')
    return new ChannelError('timeout', `${where} did not complete within ${timeoutMs} ms`, true);
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg))
    return new ChannelError('refused', `${where} refused the connection`, true);
  if (code === 'EAUTH')
    return new ChannelError('smtp', `${where}: authentication failed (${reply || code})`, false);
  if (reply >= 400 && reply < 500) return new ChannelError('smtp', `${where}: ${msg}`, true);
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || reply >= 500)
    return new ChannelError('smtp', `${where}: ${msg}`, false);
  if (code === 'ECONFIG') return new ChannelError('config', `${where}: ${msg}`, false);
  return new ChannelError('smtp', `${where}: ${msg}`, true);
}

export function createEmailChannel(opts: EmailOptions): Channel {
  const where = `SMTP ${opts.host}:${opts.port}`;
  const transport = nodemailer.createTransport({
    host: opts.host,
    port: opts.port,
    secure: opts.secure,
    ignoreTLS: opts.ignoreTLS,
    requireTLS: opts.requireTLS,
    ...(opts.auth ? { auth: { user: opts.auth.user, pass: opts.auth.pass } } : {}),
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
    logger: false,
    debug: false,
  });
  return {
    name: opts.name,
    kind: 'email',
    async send(n) {
      try {
        await transport.sendMail({
          from: opts.from,
          to: opts.to,
          subject: headline(n),
          text: emailText(n),
          html: emailHtml(n),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
      } catch (err) {
        throw smtpError(err, where, opts.timeoutMs);
      }
    },
    close() {
      transport.close();
      return Promise.resolve();
    },
  };
}
