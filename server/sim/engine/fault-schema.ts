/**
 * The JSON accepted by injectFault() and schedule(), validated with zod. Every node-targeted fault names
 * its targets with exactly one of `node` (index or 40-hex ID), `count` or `fraction` (chosen at random
 * among alive nodes). `durationMs` (optional, every kind) clears the fault by itself after that time.
 */
import { z } from 'zod';
import { THREADS } from './types.js';

export const NodeRefSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^[0-9a-f]{40}$/, 'node ID must be 40 lowercase hex characters'),
]);
export type NodeRef = z.infer<typeof NodeRefSchema>;

const target = {
  node: NodeRefSchema.optional(),
  count: z.number().int().positive().optional(),
  fraction: z.number().gt(0).max(1).optional(),
  durationMs: z.number().int().positive().optional(),
};

export const FaultSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kill'), ...target }),
  z.strictObject({ kind: z.literal('restart'), ...target, downMs: z.number().int().min(0).default(5000) }),
  z.strictObject({
    kind: z.literal('mass-loss'),
    fraction: z.number().gt(0).max(1),
    durationMs: z.number().int().positive().optional(),
  }),
  z.strictObject({
    kind: z.literal('partition'),
    fraction: z.number().gt(0).lt(1).default(0.5),
    mode: z.enum(['random', 'arc']).default('random'),
    durationMs: z.number().int().positive().optional(),
  }),
  z.strictObject({
    kind: z.literal('stale-neighbor'),
    ...target,
    side: z.enum(['left', 'right']).default('right'),
    /** The wrong (or dead) neighbour to keep; default a random other node. */
    peer: NodeRefSchema.optional(),
  }),
  z.strictObject({ kind: z.literal('stall-thread'), ...target, thread: z.enum(THREADS) }),
  z.strictObject({
    kind: z.literal('leak'),
    ...target,
    bytesPerSec: z
      .number()
      .positive()
      .default(256 * 1024),
    queuePerSec: z.number().nonnegative().default(20),
  }),
  z.strictObject({ kind: z.literal('slow'), ...target, delayMs: z.number().int().positive().default(3000) }),
  z.strictObject({ kind: z.literal('hang'), ...target }),
  z.strictObject({ kind: z.literal('garbage'), ...target }),
  z.strictObject({ kind: z.literal('lie-id'), ...target, as: NodeRefSchema.optional() }),
  z.strictObject({ kind: z.literal('duplicate-id'), ...target, as: NodeRefSchema.optional() }),
]);
export type FaultSpec = z.output<typeof FaultSpecSchema>;

export const ScenarioSchema = z
  .array(z.strictObject({ atMs: z.number().min(0), fault: z.unknown() }))
  .max(100_000, 'a scenario holds at most 100,000 steps');

/** Validates a fault; on failure a readable message listing every problem. */
export function parseFault(json: unknown): { ok: true; spec: FaultSpec } | { ok: false; message: string } {
  const r = FaultSpecSchema.safeParse(json);
  if (!r.success) return { ok: false, message: z.prettifyError(r.error) };
  const spec = r.data;
  if (spec.kind !== 'mass-loss' && spec.kind !== 'partition') {
    const given = [spec.node, spec.count, spec.fraction].filter((v) => v !== undefined).length;
    if (given !== 1) return { ok: false, message: `${spec.kind}: give exactly one of node, count, fraction` };
  }
  return { ok: true, spec };
}
