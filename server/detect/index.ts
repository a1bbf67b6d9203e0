/**
 * Detectors: crawl history in, signals out. Wiring (the store's crawl pipeline), per crawl, inside the
 * transaction that records it:
 *   const signals = await runDetectors({ crawlId, now, result, analysis, state, trends, config });
 * `state` and `trends` are the store's DetectorStateStore and TrendSource; `config` is
 * parseDetectorConfig(file section). See types.ts for the signal contract (active set + clears).
 */
import { createNodeLossDetector } from './loss.js';
import { createPersistentInconsistencyDetector } from './persistent.js';
import { createResourceGrowthDetector } from './growth.js';
import { createRingStructureDetector } from './ring.js';
import { createThreadStalledDetector } from './stalled.js';
import type { DetectorConfig } from './config.js';
import { DETECTOR_NAMES, SIGNAL_KINDS } from './types.js';
import type { Detector, DetectorContext, DetectorName, Signal } from './types.js';

export * from './types.js';
export * from './config.js';
export { createMemoryStateStore } from './state.js';
export type { MemoryStateData } from './state.js';
export { createMemoryTrendSource, fitTrend, trendStatsFromSamples } from './trend.js';
export type { MemoryTrendSource, TrendFit, TrendSample, TrendSeries } from './trend.js';
export { churnSummary } from './persistent.js';
export type { ChurnSummary } from './persistent.js';
export {
  createNodeLossDetector,
  createPersistentInconsistencyDetector,
  createResourceGrowthDetector,
  createRingStructureDetector,
  createThreadStalledDetector,
};

const FACTORIES: Readonly<Record<DetectorName, () => Detector>> = {
  persistent_inconsistency: createPersistentInconsistencyDetector,
  thread_stalled: createThreadStalledDetector,
  node_loss: createNodeLossDetector,
  resource_growth: createResourceGrowthDetector,
  ring_structure: createRingStructureDetector,
};

/** The enabled detectors (all but config.disabled), in DETECTOR_NAMES order. Stateless objects. */
export function createDetectors(config: Pick<DetectorConfig, 'disabled'>): Detector[] {
  const off = new Set(config.disabled);
  return DETECTOR_NAMES.filter((n) => !off.has(n)).map((n) => FACTORIES[n]());
}

const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
const KIND_ORDER = new Map(SIGNAL_KINDS.map((k, i) => [k, i]));

/** Deterministic order: kind (SIGNAL_KINDS order), node ID, thread, clears before actives. */
export function compareSignals(a: Signal, b: Signal): number {
  return (
    KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)! ||
    cmp(a.nodeId ?? '', b.nodeId ?? '') ||
    cmp(a.thread ?? '', b.thread ?? '') ||
    Number(a.active) - Number(b.active)
  );
}

/**
 * Runs the detectors (default: createDetectors(ctx.config)) one after the other — never concurrently,
 * so their state writes stay ordered inside the caller's transaction — and returns all their signals
 * sorted by compareSignals. A detector that throws aborts the run (the caller rolls the crawl's
 * transaction back, state included).
 */
export async function runDetectors(ctx: DetectorContext, detectors?: readonly Detector[]): Promise<Signal[]> {
  const out: Signal[] = [];
  for (const d of detectors ?? createDetectors(ctx.config)) out.push(...(await d.run(ctx)));
  return out.sort(compareSignals);
}
