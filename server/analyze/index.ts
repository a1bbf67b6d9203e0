/** Ring analysis of one crawl (pure): visits in, RingAnalysis out. */
export { analyzeRing } from './ring.js';
export type { AnalyzeOptions } from './ring.js';
export type { IdentityEndpoint } from './collect.js';
export { findRings } from './cycles.js';
export type { RingLayout } from './cycles.js';
export { indexOfId, sortByHexId } from './order.js';
export { MIRROR_SLOT, reportedId } from './slots.js';
