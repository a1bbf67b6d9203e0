/**
 * Alerting: the rule engine (engine.ts, lifecycle.ts, rules.ts), its configuration (config.ts), silences
 * and persistence. Delivery (notifier.ts, channels/) is separate and shares only types.ts.
 */
export * from './types.js';
export {
  AlertingConfigSchema,
  DEFAULT_ALERTING_CONFIG,
  DEFAULT_INHIBIT,
  parseAlertingConfig,
} from './config.js';
export type { AlertingConfig, AlertingConfigInput, RuleConfig } from './config.js';
export { createAlertEngine } from './engine.js';
export type {
  AckResult,
  AlertChange,
  AlertEngine,
  AlertEngineDeps,
  AlertView,
  CreateSilenceResult,
  ExpireSilenceResult,
  Page,
} from './engine.js';
export { ALERT_EVENT_TYPES, ALERT_FILTERS } from './repo.js';
export type { AlertEvent, AlertEventType, AlertFilter } from './repo.js';
export { RULE_OF_SIGNAL, SIGNAL_RULES, dashboardLink, fingerprint } from './rules.js';
export { MatcherSchema, SILENCE_STATES, SilenceInputSchema, silenceMatches } from './silences.js';
export type { Matcher, Silence, SilenceInput, SilenceState } from './silences.js';
