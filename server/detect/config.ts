/**
 * Detector thresholds: one typed object, validated with zod; every field has a default, so `{}` (or
 * nothing) is a complete configuration. Unknown keys are rejected (a typo must not silently fall
 * back to a default).
 */
import { z } from 'zod';
import { DETECTOR_NAMES } from './types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const MiB = 1_048_576;

const PositiveInt = z.number().int().positive();
const PositiveMs = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const DetectorConfigSchema = z.strictObject({
  /** Detectors not to run (default none). */
  disabled: z.array(z.enum(DETECTOR_NAMES)).default([]),
  /**
   * A node seen reachable before that is unreachable or absent from this many consecutive crawls is
   * lost (node_lost). The same count ends the streaks of the per-node detectors: a node gone that long
   * has its persistent inconsistency / stalled-thread streaks dropped (and their signals cleared).
   */
  lostAfterCrawls: PositiveInt.default(3),
  persistent: z
    .strictObject({
      /** Consecutive inconsistent crawls that make a persistent inconsistency; healing before is churn. */
      crawls: PositiveInt.default(3),
    })
    .prefault({}),
  stalled: z
    .strictObject({
      /** Consecutive crawls in which a thread must be seen stalled before it is signalled. */
      crawls: PositiveInt.default(2),
    })
    .prefault({}),
  loss: z
    .strictObject({
      /** Sliding window over which confirmed losses are counted for nonlinear_loss. */
      windowMs: PositiveMs.default(10 * MINUTE),
      /** nonlinear_loss needs MORE than this many nodes lost within the window ... */
      absolute: z.number().int().nonnegative().default(10),
      /** ... AND more than this percentage of the known ring (every node seen reachable, lost ones included) ... */
      percent: z.number().nonnegative().max(100).default(5),
      /**
       * ... AND more than the normal restart rate predicts for one window. PlanetLab restarted 5–20
       * machines a day (≤ 1 per hour); raise it for rings whose nodes restart more often.
       */
      expectedRestartsPerHour: z.number().nonnegative().default(1),
      /** A lost node not back after this long is forgotten: its node_lost is cleared and it leaves the known ring. */
      forgetAfterMs: PositiveMs.default(24 * HOUR),
    })
    .prefault({}),
  growth: z
    .strictObject({
      /** Trailing window of samples the regression runs over. */
      windowMs: PositiveMs.default(30 * MINUTE),
      /** Fewest samples in the window for a verdict. */
      minSamples: z.number().int().min(3).default(5),
      /** Shortest time between the first and last sample in the window for a verdict. */
      minSpanMs: z
        .number()
        .int()
        .nonnegative()
        .default(10 * MINUTE),
      /** memory_growth when RSS rises faster than this (bytes per hour) ... */
      rssBytesPerHour: z
        .number()
        .positive()
        .default(50 * MiB),
      /** queue_growth when the message queue grows faster than this (messages per hour) ... */
      queuePerHour: z.number().positive().default(1000),
      /** ... and the straight line explains at least this share of the variance (R², 0..1). */
      minR2: z.number().min(0).max(1).default(0.8),
    })
    .prefault({}),
});

/** The parsed configuration every detector reads. */
export type DetectorConfig = z.output<typeof DetectorConfigSchema>;
/** What a configuration file may contain: any subset, defaults fill the rest. */
export type DetectorConfigInput = z.input<typeof DetectorConfigSchema>;

/** Parses (and validates) a configuration; throws a ZodError naming the bad field. */
export function parseDetectorConfig(input: unknown = {}): DetectorConfig {
  return DetectorConfigSchema.parse(input ?? {});
}

/** All defaults. */
export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = parseDetectorConfig({});
