/** The store: SQLite persistence of crawls, observations, time-travel topology, findings and rollups. */
export { openDatabase } from './db.js';
export type { Database, OpenOptions, RunResult, SqlParams, SqlRunner, SqlValue, Statement } from './db.js';
export {
  MigrationError,
  loadMigrations,
  applyMigrations,
  checksumOf,
  DEFAULT_MIGRATIONS_DIR,
} from './migrate.js';
export type { Migration, MigrationErrorCode, MigrationReport } from './migrate.js';
export { createStore, INTERRUPTED_REASON } from './store.js';
export type { Store, StoreOptions } from './store.js';
export { createRetention, scheduleRetention } from './retention.js';
export type { Retention, RetentionOptions, RetentionReport, ScheduledRetention } from './retention.js';
export { RESOLUTION_MS, SERIES_METRICS } from './types.js';
export type * from './types.js';
export { createSqliteStateStore, createSqliteTrendSource } from './detector-state.js';
export type { RelayRttWrites } from './relays.js';
export { RTT_TOLERANCE } from './relays.js';
export { MAX_RATE_GAP_INTERVALS, counterRates, downsample, sampleInterval } from './read-nodes-series.js';
export { deriveState } from './read-nodes.js';
