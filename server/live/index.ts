/** The live stream: socket.io events for dashboards (see docs/live.md for the public contract). */
export { createLiveHub } from './hub.js';
export { credentialsOf, installSocketAuth, LiveAuthError } from './auth.js';
export type { SocketAuthGuard } from './auth.js';
export { diffTopologies, deltaSize, toWireDelta } from './delta.js';
export { catchUpFromStore } from './catch-up.js';
export type { StoreCatchUp } from './catch-up.js';
export * from './types.js';
