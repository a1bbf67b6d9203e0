/**
 * Channel configuration (a zod discriminated union on `kind`) and the factory that builds a Channel
 * from it. The config's secrets (webhook `secret`, the Slack `url`, the SMTP `auth.pass`) never reach a
 * log: channels name receivers by origin or host only, and redactChannelConfig() masks them for display.
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Channel } from '../types.js';
import { createAlertmanagerChannel } from './alertmanager.js';
import { createEmailChannel } from './email.js';
import { createSlackChannel } from './slack.js';
import { createWebhookChannel } from './webhook.js';

export { webhookPayload, signBody } from './webhook.js';
export type { WebhookPayload, WebhookAlert } from './webhook.js';
export { slackText } from './slack.js';
export { postableAlert, alertsEndpoint } from './alertmanager.js';
export type { PostableAlert } from './alertmanager.js';
export { emailText, emailHtml } from './email.js';
export { headline, ZERO_TIME } from './format.js';

/** Default time a send may take before it fails with a retryable `timeout`. */
export const DEFAULT_CHANNEL_TIMEOUT_MS = 10_000;

const httpUrl = z
  .string()
  .min(1)
  .refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), {
    error: 'expected an absolute http:// or https:// URL',
  });

const base = {
  /** Unique among channels; used in records, logs and the test action. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
    error: 'expected a name of letters, digits, _ . - (up to 64 characters)',
  }),
  timeoutMs: z.number().int().min(100).max(300_000).optional(),
};

export const WebhookConfigSchema = z.strictObject({
  kind: z.literal('webhook'),
  ...base,
  url: httpUrl,
  /** HMAC-SHA256 key for X-Ringwatch-Signature. */
  secret: z.string().min(16, { error: 'expected a secret of at least 16 characters' }).optional(),
});

export const SlackConfigSchema = z.strictObject({
  kind: z.literal('slack'),
  ...base,
  /** The incoming-webhook URL (a secret). */
  url: httpUrl,
});

export const AlertmanagerConfigSchema = z.strictObject({
  kind: z.literal('alertmanager'),
  ...base,
  /** Base URL, e.g. http://alertmanager:9093 (the channel posts to {url}/api/v2/alerts). */
  url: httpUrl,
});

export const EmailConfigSchema = z
  .strictObject({
    kind: z.literal('email'),
    ...base,
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    secure: z.boolean().default(false),
    auth: z.strictObject({ user: z.string().min(1), pass: z.string().min(1) }).optional(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1, { error: 'expected at least one recipient' }),
    ignoreTLS: z.boolean().default(false),
    requireTLS: z.boolean().default(false),
  })
  .refine((c) => !(c.ignoreTLS && c.requireTLS), { error: 'ignoreTLS and requireTLS exclude each other' });

/** One channel's configuration; `kind` selects the shape. */
export const ChannelConfigSchema = z.discriminatedUnion('kind', [
  WebhookConfigSchema,
  SlackConfigSchema,
  AlertmanagerConfigSchema,
  EmailConfigSchema,
]);
export type ChannelConfig = z.output<typeof ChannelConfigSchema>;
/** What a configuration file may say (defaults not yet applied). */
export type ChannelConfigInput = z.input<typeof ChannelConfigSchema>;

/** A list of channels with unique names. */
export const ChannelConfigListSchema = z.array(ChannelConfigSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (seen.has(c.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate channel name ${c.name}` });
    seen.add(c.name);
  });
});

export interface ChannelDeps {
  clock: Clock;
  /** Timeout of channels whose config sets none (default DEFAULT_CHANNEL_TIMEOUT_MS). */
  defaultTimeoutMs?: number;
}

/** Builds the Channel of a validated configuration (parse it with ChannelConfigSchema first). */
export function createChannel(config: ChannelConfig, deps: ChannelDeps): Channel {
  const timeoutMs = config.timeoutMs ?? deps.defaultTimeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
  switch (config.kind) {
    case 'webhook':
      return createWebhookChannel(
        { name: config.name, url: config.url, secret: config.secret, timeoutMs },
        deps,
      );
    case 'slack':
      return createSlackChannel({ name: config.name, url: config.url, timeoutMs });
    case 'alertmanager':
      return createAlertmanagerChannel({ name: config.name, url: config.url, timeoutMs }, deps);
    case 'email':
      return createEmailChannel({
        name: config.name,
        host: config.host,
        port: config.port ?? (config.secure ? 465 : 587),
        secure: config.secure,
        auth: config.auth,
        from: config.from,
        to: config.to,
        ignoreTLS: config.ignoreTLS,
        requireTLS: config.requireTLS,
        timeoutMs,
      });
  }
}

const MASK = '***';

/** A URL with any password in it masked (the rest is configuration, not secret). */
function maskUrlPassword(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  if (!u.password) return url;
  u.password = MASK;
  return u.toString();
}

/** A copy of `config` safe to show or log: the webhook secret, Slack URL, SMTP password
 * and any password in a URL masked. */
export function redactChannelConfig(config: ChannelConfig): ChannelConfig {
  switch (config.kind) {
    case 'webhook':
      return {
        ...config,
        url: maskUrlPassword(config.url),
        ...(config.secret === undefined ? {} : { secret: MASK }),
      };
    case 'slack':
      return { ...config, url: MASK };
    case 'alertmanager':
      return { ...config, url: maskUrlPassword(config.url) };
    case 'email':
      return config.auth ? { ...config, auth: { user: config.auth.user, pass: MASK } } : { ...config };
  }
}
