/**
 * Ring health at a glance, for the header badge: one level from the summary. Pure.
 */
import type { Summary } from './types.js';

export type RingLevel = 'unknown' | 'healthy' | 'degraded' | 'critical';

export interface RingHealth {
  level: RingLevel;
  label: string;
  /** Why, in a sentence (the badge's tooltip and accessible description). */
  reason: string;
}

/**
 * critical: the ring is split, consistency below 90 %, or fewer than 90 % of nodes reachable;
 * degraded: any firing alert, any inconsistency or any unreachable node; healthy otherwise;
 * unknown before the first recorded crawl.
 */
export function ringHealth(s: Summary | null): RingHealth {
  if (!s) return { level: 'unknown', label: 'Loading', reason: 'Loading the ring summary' };
  if (!s.lastCrawl)
    return { level: 'unknown', label: 'No crawl yet', reason: 'No crawl has been recorded yet' };
  const reasons: string[] = [];
  const consistency = s.consistency ?? 1;
  const reachableRatio = s.nodes > 0 ? s.reachable / s.nodes : 1;
  if (s.rings > 1) reasons.push(`the ring is split in ${s.rings}`);
  if (consistency < 0.9) reasons.push(`consistency ${(consistency * 100).toFixed(1)} %`);
  if (reachableRatio < 0.9) reasons.push(`${s.unreachable} nodes unreachable`);
  if (reasons.length > 0) return { level: 'critical', label: 'Critical', reason: reasons.join(', ') };
  if (s.firingAlerts > 0) reasons.push(`${s.firingAlerts} alert${s.firingAlerts === 1 ? '' : 's'} firing`);
  if (consistency < 1) reasons.push(`consistency ${(consistency * 100).toFixed(1)} %`);
  if (s.unreachable > 0) reasons.push(`${s.unreachable} node${s.unreachable === 1 ? '' : 's'} unreachable`);
  if (reasons.length > 0) return { level: 'degraded', label: 'Degraded', reason: reasons.join(', ') };
  return { level: 'healthy', label: 'Healthy', reason: 'Every node reachable and consistent, one ring' };
}
