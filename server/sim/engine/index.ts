/** Public surface of the simulation engine. */
export { createSimRing } from './ring.js';
export type { SimRing } from './ring.js';
export { createLatencyModel, loadRttMatrix, parseRttMatrix } from './latency.js';
export type { LatencyModel, LatencyOptions, RttMatrix } from './latency.js';
export { FaultSpecSchema, ScenarioSchema } from './fault-schema.js';
export type { FaultSpec } from './fault-schema.js';
export { createPrng, hash32 } from './prng.js';
export type { Prng } from './prng.js';
export { THREADS } from './types.js';
export type * from './types.js';
