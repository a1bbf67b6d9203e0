/**
 * The shipped rules: which detector signal feeds which rule, the label set (= identity) of each alert,
 * its rendered annotations and the dashboard link that shows its cause. Pure functions, no state.
 *
 * Signal → rule (node_lost has no rule of its own: many at once is NodeLossNonLinear):
 *   nonlinear_loss → NodeLossNonLinear {}          ring_split → RingSplit {}
 *   persistent_inconsistency → PersistentInconsistency {node}
 *   thread_stalled → ThreadStalled {node, thread}
 *   memory_growth → MemoryGrowth {node, resource=memory}   queue_growth → MemoryGrowth {node, resource=queue}
 *   duplicate_id → DuplicateNodeId {node}
 * CrawlFailed and CrawlerStale come from crawl outcomes and time, not signals (see engine.ts).
 * Every alert also has `alertname` (the rule) and `severity` (from configuration) plus the rule's
 * configured static labels.
 */
import { createHash } from 'node:crypto';
import type { Signal, SignalKind } from '../detect/types.js';
import type { AlertingConfig } from './config.js';
import { render } from './templates.js';
import type { RuleName } from './types.js';

/** The rules fed by detector signals: their complete active set arrives with every successful crawl. */
export const SIGNAL_RULES = [
  'NodeLossNonLinear',
  'RingSplit',
  'PersistentInconsistency',
  'ThreadStalled',
  'MemoryGrowth',
  'DuplicateNodeId',
] as const satisfies readonly RuleName[];

export const RULE_OF_SIGNAL: Readonly<Record<SignalKind, RuleName | null>> = {
  nonlinear_loss: 'NodeLossNonLinear',
  ring_split: 'RingSplit',
  persistent_inconsistency: 'PersistentInconsistency',
  thread_stalled: 'ThreadStalled',
  memory_growth: 'MemoryGrowth',
  queue_growth: 'MemoryGrowth',
  duplicate_id: 'DuplicateNodeId',
  node_lost: null,
};

/** Where the dashboard shows each rule's cause. */
type LinkKind = 'node' | 'ring' | 'crawls';
const LINK_OF: Readonly<Record<RuleName, LinkKind>> = {
  NodeLossNonLinear: 'ring',
  RingSplit: 'ring',
  PersistentInconsistency: 'node',
  ThreadStalled: 'node',
  MemoryGrowth: 'node',
  DuplicateNodeId: 'node',
  CrawlFailed: 'crawls',
  CrawlerStale: 'crawls',
};

/** A condition that holds now: one alert's worth of input to the lifecycle. */
export interface Condition {
  rule: RuleName;
  /** The complete label set (alertname and severity included). */
  labels: Record<string, string>;
  value: number | null;
  detail: string;
  /** Crawl that showed the condition (null for time-based conditions). */
  crawlId: number | null;
}

/** Stable identity: 16 hex digits of sha256 over the label set sorted by name. */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]!]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

/** The full label set of an alert of `rule` with the signal-specific `extra` labels, sorted by name. */
export function labelsFor(
  rule: RuleName,
  config: AlertingConfig,
  extra: Record<string, string> = {},
): Record<string, string> {
  const all: Record<string, string> = {
    ...config.rules[rule].labels,
    ...extra,
    alertname: rule,
    severity: config.rules[rule].severity,
  };
  return Object.fromEntries(
    Object.keys(all)
      .sort()
      .map((k) => [k, all[k]!]),
  );
}

function extraLabels(s: Signal): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.nodeId !== undefined) out.node = s.nodeId;
  if (s.kind === 'thread_stalled' && s.thread !== undefined) out.thread = s.thread;
  if (s.kind === 'memory_growth') out.resource = 'memory';
  if (s.kind === 'queue_growth') out.resource = 'queue';
  return out;
}

/** The conditions of the enabled signal rules that the active signals of one crawl say hold. */
export function conditionsFromSignals(
  signals: readonly Signal[],
  crawlId: number,
  config: AlertingConfig,
): Condition[] {
  const out: Condition[] = [];
  for (const s of signals) {
    const rule = RULE_OF_SIGNAL[s.kind];
    if (!s.active || rule === null || !config.rules[rule].enabled) continue;
    out.push({
      rule,
      labels: labelsFor(rule, config, extraLabels(s)),
      value: s.value ?? null,
      detail: s.detail,
      crawlId,
    });
  }
  return out;
}

/** The dashboard view that shows the cause (hash routes of the web app), absolute when externalUrl is set. */
export function dashboardLink(
  rule: RuleName,
  labels: Readonly<Record<string, string>>,
  crawlId: number | null,
  externalUrl: string,
): string {
  let route: string;
  switch (LINK_OF[rule]) {
    case 'node':
      route = `#/nodes/${encodeURIComponent(labels.node ?? '')}`;
      break;
    case 'ring':
      route = crawlId === null ? '#/ring' : `#/ring?crawl=${crawlId}`;
      break;
    case 'crawls':
      route = '#/crawls';
      break;
  }
  return externalUrl === '' ? route : `${externalUrl}/${route}`;
}

/** The rule's configured annotations rendered for one condition, plus `dashboard`. */
export function annotationsFor(c: Condition, config: AlertingConfig): Record<string, string> {
  const data = { labels: c.labels, value: c.value, detail: c.detail, externalUrl: config.externalUrl };
  const out: Record<string, string> = {};
  for (const [k, t] of Object.entries(config.rules[c.rule].annotations)) out[k] = render(t, data);
  out.dashboard = dashboardLink(c.rule, c.labels, c.crawlId, config.externalUrl);
  return out;
}
