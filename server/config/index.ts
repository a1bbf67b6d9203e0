/**
 * The server's one typed configuration: YAML file → RINGWATCH_* environment → flags, validated at start.
 * See docs/configuration.md.
 */
export { ConfigSchema, LOG_LEVELS, simulatorEnabled, retentionOptions } from './schema.js';
export { CRAWL_STRATEGIES, CRAWL_THREADS } from '../core/model.js';
export type { Config, ConfigInput } from './schema.js';
export { loadConfig } from './load.js';
export type { LoadConfigInput } from './load.js';
export type { FlagValues } from './sources.js';
export { ConfigError, formatIssue } from './errors.js';
export type { ConfigErrorCode, ConfigIssue, ConfigSource } from './errors.js';
export { describeConfig } from './describe.js';
export type { ConfigRow } from './describe.js';
export { redactConfig, REDACTED } from './redact.js';
