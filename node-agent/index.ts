/**
 * Public API of the Ringwatch node agent (`ringwatch/node-agent`): the in-process agent, the
 * standalone sidecar, and the status protocol's schemas (schema.ts, the single source of truth).
 */
export { createAgent } from './agent.js';
export type { Agent } from './agent.js';
export type { AgentOptions, AgentView } from './options.js';
export type { LivenessHandle, LivenessOptions } from './liveness.js';
export type { LogSink } from './log-buffer.js';
export type { ListenHandle, ListenOptions } from './endpoint.js';
export { createProcessSampler } from './process-stats.js';
export type { ProcessSampler } from './process-stats.js';
export { StateUnavailableError, sendError } from './respond.js';
export { runSidecar, statusFromState } from './sidecar.js';
export type { SidecarHandle, SidecarOptions } from './sidecar.js';
export * from './schema.js';
