/**
 * The `alerting` configuration section: one typed object, validated with zod. Every field has a default,
 * so `{}` is a complete configuration; unknown keys are rejected (a typo must not fall back silently).
 *
 * Templates (annotations) use Prometheus-style placeholders: `{{ $labels.node }}`, `{{ $value }}`,
 * `{{ $detail }}`, `{{ $externalUrl }}`. Any other placeholder is a configuration error (see templates.ts).
 * Durations are milliseconds.
 */
import { z } from 'zod';
import { RULE_NAMES, SEVERITIES } from './types.js';
import type { RuleName, Severity } from './types.js';
import { checkTemplate } from './templates.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Labels the engine sets itself; configuration may not set them. */
export const RESERVED_LABELS = ['alertname', 'severity', 'node', 'thread', 'resource'] as const;
/** Annotations the engine sets itself. */
export const RESERVED_ANNOTATIONS = ['dashboard'] as const;

const Ms = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const PositiveMs = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const LabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'not a label name');
const Template = z
  .string()
  .max(4096)
  .superRefine((s, ctx) => {
    const bad = checkTemplate(s);
    if (bad) ctx.addIssue({ code: 'custom', message: bad });
  });

interface RuleDefaults {
  severity: Severity;
  for: number;
  repeatInterval: number;
  summary: string;
  description: string;
}

function ruleSchema(d: RuleDefaults) {
  return z.strictObject({
    enabled: z.boolean().default(true),
    severity: z.enum(SEVERITIES).default(d.severity),
    /** How long the condition must hold before the alert fires (pending until then). */
    for: Ms.default(d.for),
    /** While firing (and not acknowledged or muted), a reminder is sent this often. */
    repeatInterval: PositiveMs.default(d.repeatInterval),
    /** Extra static labels (part of the alert's identity). */
    labels: z
      .record(LabelName, z.string().max(1024))
      .default({})
      .refine((l) => !RESERVED_LABELS.some((r) => r in l), {
        message: `labels may not set ${RESERVED_LABELS.join(', ')}`,
      }),
    annotations: z
      .object({ summary: Template.default(d.summary), description: Template.default(d.description) })
      .catchall(Template)
      .prefault({})
      .refine((a) => !RESERVED_ANNOTATIONS.some((r) => r in a), {
        message: `annotations may not set ${RESERVED_ANNOTATIONS.join(', ')}`,
      }),
  });
}

const REPEAT = 4 * HOUR;

const NodeLossNonLinear = ruleSchema({
  severity: 'critical',
  for: 0,
  repeatInterval: REPEAT,
  summary: 'Non-linear node loss: {{ $value }} nodes lost at once',
  description: '{{ $detail }}',
});
const RingSplit = ruleSchema({
  severity: 'critical',
  for: 0,
  repeatInterval: REPEAT,
  summary: 'The ring is split',
  description: '{{ $detail }}',
});
const PersistentInconsistency = ruleSchema({
  severity: 'warning',
  for: 0,
  repeatInterval: REPEAT,
  summary: 'Node {{ $labels.node }} is persistently inconsistent',
  description: '{{ $detail }}',
});
const ThreadStalled = ruleSchema({
  severity: 'warning',
  for: 0,
  repeatInterval: REPEAT,
  summary: 'Thread {{ $labels.thread }} stalled on node {{ $labels.node }}',
  description: '{{ $detail }}',
});
const MemoryGrowth = ruleSchema({
  severity: 'warning',
  for: 10 * MINUTE,
  repeatInterval: REPEAT,
  summary: 'Node {{ $labels.node }}: {{ $labels.resource }} grows steadily',
  description: '{{ $detail }}',
});
const DuplicateNodeId = ruleSchema({
  severity: 'critical',
  for: 0,
  repeatInterval: REPEAT,
  summary: 'Node ID {{ $labels.node }} is used by more than one node',
  description: '{{ $detail }}',
});
const CrawlFailed = ruleSchema({
  severity: 'warning',
  for: 2 * MINUTE,
  repeatInterval: REPEAT,
  summary: 'Crawls are failing',
  description: '{{ $detail }}',
});
const CrawlerStale = ruleSchema({
  severity: 'critical',
  for: 0,
  repeatInterval: REPEAT,
  summary: 'No crawl has finished recently',
  description: '{{ $detail }}',
}).extend({
  /** Fires when no crawl (of any outcome) has finished for this long. */
  afterMs: PositiveMs.default(5 * MINUTE),
});

const RulesSchema = z.strictObject({
  NodeLossNonLinear: NodeLossNonLinear.prefault({}),
  RingSplit: RingSplit.prefault({}),
  PersistentInconsistency: PersistentInconsistency.prefault({}),
  ThreadStalled: ThreadStalled.prefault({}),
  MemoryGrowth: MemoryGrowth.prefault({}),
  DuplicateNodeId: DuplicateNodeId.prefault({}),
  CrawlFailed: CrawlFailed.prefault({}),
  CrawlerStale: CrawlerStale.prefault({}),
});

/** While an alert of `source` fires, the active alerts of the `targets` rules are inhibited (not sent). */
const InhibitRule = z.strictObject({
  source: z.enum(RULE_NAMES),
  targets: z.array(z.enum(RULE_NAMES)).min(1),
});

export const DEFAULT_INHIBIT: z.input<typeof InhibitRule>[] = [
  {
    source: 'RingSplit',
    targets: ['PersistentInconsistency', 'ThreadStalled', 'MemoryGrowth', 'DuplicateNodeId'],
  },
];

export const AlertingConfigSchema = z.strictObject({
  /** Base URL of the dashboard for links in notifications ('' = none: links are relative). */
  externalUrl: z
    .union([z.literal(''), z.url({ protocol: /^https?$/ })])
    .default('')
    .transform((u) => u.replace(/\/+$/, '')),
  /** How often tick() runs (the `for`, CrawlerStale and repeat timers). */
  evaluationIntervalMs: PositiveMs.default(10 * SECOND),
  /** Resolved alerts (and their events) older than this are deleted by tick(). */
  historyRetentionMs: PositiveMs.default(30 * DAY),
  rules: RulesSchema.prefault({}),
  inhibit: z.array(InhibitRule).default(DEFAULT_INHIBIT),
  /** Notification channels; validated by the notifier's ChannelConfigSchema, not here. */
  channels: z.array(z.unknown()).default([]),
});

export type AlertingConfig = z.output<typeof AlertingConfigSchema>;
export type AlertingConfigInput = z.input<typeof AlertingConfigSchema>;
export type RuleConfig = AlertingConfig['rules'][RuleName];

/** Parses (and validates) a configuration; throws a ZodError naming the bad field. */
export function parseAlertingConfig(input: unknown = {}): AlertingConfig {
  return AlertingConfigSchema.parse(input ?? {});
}

/** All defaults. */
export const DEFAULT_ALERTING_CONFIG: AlertingConfig = parseAlertingConfig({});
