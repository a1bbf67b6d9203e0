/**
 * The one configuration schema: every setting the server reads, its default, its environment name and
 * its description. Sections are strict (an unknown key is an error, never a silent default) and every
 * key has a default or is optional, so `{}` is a complete configuration.
 */
import { AlertingConfigSchema } from '../alert/config.js';
import { ChannelConfigListSchema } from '../alert/channels/index.js';
import { z } from 'zod';
import { DetectorConfigSchema } from '../detect/config.js';
import { CRAWL_STRATEGIES, CRAWL_THREADS } from '../core/model.js';
import type { RetentionOptions } from '../store/retention.js';
import {
  SECTION,
  allowEntry,
  bool,
  cronExpression,
  endpoint,
  httpUrl,
  key,
  list,
  oneOf,
  positiveNumber,
  secret,
  text,
  wholeNumber,
} from './fields.js';

/** pino's levels (`silent` logs nothing). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const server = z
  .strictObject(
    {
      host: key(text().default('127.0.0.1'), { description: 'Address the HTTP server listens on.' }),
      port: key(wholeNumber(0, 65535).default(8080), {
        description: 'TCP port of the HTTP server; 0 picks a free (ephemeral) port.',
        aliases: ['RINGWATCH_PORT'],
      }),
      publicUrl: key(httpUrl().optional(), {
        description: 'URL users reach the dashboard at, used in links of alerts (unset: no links).',
      }),
      trustProxy: key(bool().default(false), {
        description: 'Trust X-Forwarded-* headers (only behind a reverse proxy you run).',
      }),
      bodyLimitBytes: key(wholeNumber(1).default(102_400), {
        description: 'Largest request body the API accepts.',
      }),
      shutdownTimeoutMs: key(wholeNumber(0).default(30_000), {
        description: 'How long a shutdown waits for running work before closing anyway.',
      }),
      rateLimitPerMinute: key(wholeNumber(0).default(1200), {
        description: 'API requests one client (token, session or address) may make per minute; 0 = no limit.',
      }),
    },
    SECTION,
  )
  .prefault({});

const database = z
  .strictObject(
    {
      file: key(text().default('ringwatch.db'), {
        description: 'SQLite database file (relative to the working directory); created when missing.',
        aliases: ['RINGWATCH_DB'],
      }),
    },
    SECTION,
  )
  .prefault({});

const crawl = z
  .strictObject(
    {
      seeds: key(list(endpoint()).default([]), {
        description: 'Endpoints of the ring to crawl; empty means: crawl the embedded simulator.',
      }),
      schedule: key(cronExpression().default('0 * * * * *'), {
        description:
          'When crawls start (node-cron; 6 fields put seconds first). Never two at once: a tick that finds a crawl running starts the next one as soon as it ends.',
      }),
      concurrency: key(wholeNumber(1).default(256), { description: 'Visits in flight at once.' }),
      timeoutMs: key(wholeNumber(1).default(3000), {
        description: 'Timeout of one visit attempt (connect, headers and body).',
      }),
      maxNodes: key(wholeNumber(1).default(250_000), {
        description: 'Most endpoints one crawl visits (a bound on a ring that reports endless peers).',
      }),
      allow: key(list(allowEntry()).default([]), {
        description:
          "Networks (CIDR), addresses or host names the crawler may contact; empty: the seeds' networks.",
      }),
      thread: key(oneOf(CRAWL_THREADS).default('worker'), {
        description:
          "worker: visits run in a worker thread, so a large crawl does not slow the API and live updates; main: on the server's event loop.",
      }),
      strategy: key(oneOf(CRAWL_STRATEGIES).default('parallel'), {
        description:
          'parallel: breadth-first over every reported endpoint; ring-walk: follow R1 around the ring.',
      }),
    },
    SECTION,
  )
  .prefault({});

const retention = z
  .strictObject(
    {
      schedule: key(cronExpression().default('0 * * * *'), {
        description: 'When retention and rollups run (node-cron).',
      }),
      rawHours: key(wholeNumber(1).default(48), {
        description: 'Raw observations and topology are kept this many hours.',
      }),
      fiveMinuteDays: key(wholeNumber(1).default(7), {
        description: '5-minute rollups are kept this many days.',
      }),
      hourlyDays: key(wholeNumber(1).default(90), { description: 'Hourly rollups are kept this many days.' }),
      findingDays: key(wholeNumber(1).default(30), {
        description: 'Closed findings are kept this many days (never less than the raw window).',
      }),
    },
    SECTION,
  )
  .prefault({});

const simulator = z
  .strictObject(
    {
      nodes: key(wholeNumber(1, 200_000).default(200), {
        description: 'Nodes of the embedded simulated ring.',
      }),
      enabled: key(
        z
          .union([z.literal('auto'), z.boolean()], { error: 'expected "auto", true or false' })
          .default('auto'),
        { description: 'Run the embedded simulator: auto = when crawl.seeds is empty.' },
      ),
      seed: key(wholeNumber(0).optional(), {
        description: 'Random seed of the simulator (unset: the simulator default, 1).',
      }),
      stabilizeMs: key(wholeNumber(10).optional(), {
        description: 'Stabilisation period of simulated nodes (unset: the simulator default, 1000).',
      }),
      logToken: key(secret(8).optional(), {
        description: "Bearer token of the simulated agents' log endpoint (unset: the simulator default).",
        secret: true,
      }),
    },
    SECTION,
  )
  .prefault({});

const agents = z
  .strictObject(
    {
      logToken: key(secret(8).optional(), {
        description:
          'Bearer token the server pulls node-agent logs with; unset while the simulator runs: its token.',
        secret: true,
      }),
      logMaxBytes: key(wholeNumber(1).default(1_048_576), {
        description: 'Largest log answer read from one agent.',
      }),
      logTimeoutMs: key(wholeNumber(1).default(5000), { description: 'Timeout of one log pull.' }),
    },
    SECTION,
  )
  .prefault({});

const auth = z
  .strictObject(
    {
      adminPassword: key(secret(8).optional(), {
        description:
          'Password of user admin, created at the first start when no user exists (unset: one is generated and printed once).',
        secret: true,
        env: 'RINGWATCH_ADMIN_PASSWORD',
        aliases: ['RINGWATCH_AUTH_ADMIN_PASSWORD'],
      }),
      sessionTtlHours: key(positiveNumber().default(12), { description: 'Lifetime of a login session.' }),
      secureCookies: key(bool().default(false), {
        description: 'Mark session cookies Secure (set it when users reach the server over HTTPS).',
      }),
      bcryptCost: key(wholeNumber(4, 31).default(10), {
        description: 'bcrypt cost factor of stored passwords.',
      }),
    },
    SECTION,
  )
  .prefault({});

const log = z
  .strictObject(
    {
      level: key(oneOf(LOG_LEVELS).default('info'), {
        description: 'Least severe log level written (pino).',
      }),
      pretty: key(bool().default(false), { description: 'Human-readable log lines instead of JSON.' }),
    },
    SECTION,
  )
  .prefault({});

/** Descriptions of the detector thresholds (their schema lives in server/detect/config.ts). */
export const DETECTOR_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'detectors.disabled': 'Detectors not to run.',
  'detectors.lostAfterCrawls':
    'A node seen before that is unreachable or absent this many consecutive crawls is lost (node_lost).',
  'detectors.persistent.crawls':
    'Consecutive inconsistent crawls that make a persistent inconsistency; healing before is churn.',
  'detectors.stalled.crawls': 'Consecutive crawls a thread must be seen stalled before it is signalled.',
  'detectors.loss.windowMs': 'Sliding window over which confirmed losses are counted for nonlinear_loss.',
  'detectors.loss.absolute': 'nonlinear_loss needs more than this many nodes lost within the window …',
  'detectors.loss.percent': '… and more than this percentage of the known ring …',
  'detectors.loss.expectedRestartsPerHour':
    '… and more than the normal restart rate predicts for one window.',
  'detectors.loss.forgetAfterMs':
    'A lost node not back after this long is forgotten (its node_lost cleared).',
  'detectors.growth.windowMs': 'Trailing window of samples the growth regression runs over.',
  'detectors.growth.minSamples': 'Fewest samples in the window for a verdict.',
  'detectors.growth.minSpanMs':
    'Shortest time between the first and last sample in the window for a verdict.',
  'detectors.growth.rssBytesPerHour': 'memory_growth when RSS rises faster than this (bytes per hour) …',
  'detectors.growth.queuePerHour': 'queue_growth when the message queue grows faster than this (per hour) …',
  'detectors.growth.minR2':
    '… and the straight line explains at least this share of the variance (R², 0..1).',
};

/**
 * Alert rules, inhibition and channels: one structured key, validated by the alerting module's own
 * schema (lazy, so the key walker treats it as one value: YAML only, see docs/alerting.md).
 */
const alerting = key(
  z.lazy(() => AlertingConfigSchema.extend({ channels: ChannelConfigListSchema.default([]) })).prefault({}),
  {
    description:
      'Alert rules, inhibition, externalUrl and notification channels (YAML file only; see docs/alerting.md and docs/channels.md).',
    type: 'mapping',
  },
);

const sections = {
  server,
  database,
  crawl,
  retention,
  detectors: DetectorConfigSchema.prefault({}),
  simulator,
  agents,
  auth,
  log,
  alerting,
};

export const ConfigSchema = z.strictObject(sections, SECTION).superRefine((c, ctx) => {
  if (c.simulator.enabled === false && c.crawl.seeds.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['simulator', 'enabled'],
      message:
        'is false but crawl.seeds is empty: there is nothing to crawl (add seeds or enable the simulator)',
      params: { crossField: true },
    });
  }
});

/** The validated configuration (every default filled in). */
export type Config = z.output<typeof ConfigSchema>;
/** What a configuration file may contain: any subset. */
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Whether the embedded simulator runs: simulator.enabled, where 'auto' means "when there are no seeds". */
export function simulatorEnabled(config: Config): boolean {
  const e = config.simulator.enabled;
  return e === 'auto' ? config.crawl.seeds.length === 0 : e;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The retention windows as `createRetention` options (add `db` and `clock`). */
export function retentionOptions(
  config: Config,
): Required<
  Pick<RetentionOptions, 'rawWindowMs' | 'fiveMinuteWindowMs' | 'hourlyWindowMs' | 'findingWindowMs'>
> {
  const r = config.retention;
  return {
    rawWindowMs: r.rawHours * HOUR,
    fiveMinuteWindowMs: r.fiveMinuteDays * DAY,
    hourlyWindowMs: r.hourlyDays * DAY,
    findingWindowMs: r.findingDays * DAY,
  };
}
