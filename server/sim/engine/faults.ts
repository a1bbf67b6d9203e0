/**
 * Fault injection: validates a fault, picks its targets, applies it to the engine state and remembers how
 * to undo it. Protocol-level faults (kill, restart, mass-loss, partition, stale-neighbor, stall-thread,
 * leak, duplicate-id) change what nodes do; HTTP-level faults (slow, hang, garbage, lie-id, and kill's
 * closed listener) are carried out by the host through answerMode() and reportedId().
 */
import type { EngineCtx } from './context.js';
import { EV } from './context.js';
import type { FaultSpec, NodeRef } from './fault-schema.js';
import { parseFault } from './fault-schema.js';
import type { Lifecycle } from './lifecycle.js';
import type { Metrics } from './metrics.js';
import type { Protocol } from './protocol.js';
import type { AnswerMode, FaultRecord, InjectResult, SimError } from './types.js';
import { THREADS } from './types.js';
import type { Views } from './views.js';

const MAX_FAULT_LOGS = 100;
const DUPLICATE_DOWN_MS = 500;

interface Active {
  rec: FaultRecord;
  undo: () => void;
}

/**
 * Contract: inject never throws (invalid input → { ok: false, error }); every injected fault gets a unique
 * id and is listed by list() until cleared (by clear(), its durationMs, or, for restart, the node coming
 * back); clear() undoes the fault's effect where meaningful and returns false for an unknown id.
 */
export interface Faults {
  inject(json: unknown): InjectResult;
  clear(id: string): boolean;
  list(): FaultRecord[];
  onEnd(seq: number): void;
  answerMode(i: number): AnswerMode;
  reportedId(i: number): string;
}

export function createFaults(
  ctx: EngineCtx,
  deps: { life: Lifecycle; views: Views; metrics: Metrics; protocol: Protocol },
): Faults {
  const { t, queue } = ctx;
  const { life, views, metrics, protocol } = deps;
  const rng = ctx.rng.fork();
  const active = new Map<number, Active>();
  const modes = new Map<number, { id: string; mode: AnswerMode }[]>();
  const lies = new Map<number, { id: string; hex: string }[]>();
  let seq = 0;

  const err = (code: SimError['code'], message: string): { ok: false; error: SimError } => ({
    ok: false,
    error: { code, message },
  });

  function resolve(ref: NodeRef): number {
    if (typeof ref === 'number') return ref < t.n ? ref : -1;
    return t.hex.indexOf(ref);
  }

  function aliveNodes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < t.n; i++) if (t.alive[i]) out.push(i);
    return out;
  }

  function pick(spec: { node?: NodeRef; count?: number; fraction?: number }): number[] | SimError {
    if (spec.node !== undefined) {
      const i = resolve(spec.node);
      return i < 0 ? { code: 'unknown_node', message: `no node ${String(spec.node)}` } : [i];
    }
    const alive = aliveNodes();
    if (alive.length === 0) return { code: 'no_targets', message: 'no alive node to target' };
    const want = spec.count ?? Math.max(1, Math.round((spec.fraction ?? 0) * alive.length));
    return rng
      .shuffle(alive)
      .slice(0, Math.min(want, alive.length))
      .sort((a, b) => a - b);
  }

  function otherNode(i: number, aliveOnly: boolean): number {
    if (t.n < 2) return -1;
    for (let tries = 0; tries < 64; tries++) {
      const p = rng.int(t.n);
      if (p !== i && (!aliveOnly || t.alive[p])) return p;
    }
    return -1;
  }

  function relist(i: number): void {
    if (!t.alive[i]) return;
    views.resort(i);
    protocol.listsChanged(i);
  }

  function pushMode<T extends { id: string }>(map: Map<number, T[]>, i: number, entry: T): void {
    const list = map.get(i) ?? [];
    list.push(entry);
    map.set(i, list);
  }

  function dropMode<T extends { id: string }>(map: Map<number, T[]>, i: number, id: string): void {
    const list = map.get(i)?.filter((e) => e.id !== id) ?? [];
    if (list.length) map.set(i, list);
    else map.delete(i);
  }

  /** Applies the fault to its targets; returns the undo action or an error. */
  function apply(spec: FaultSpec, id: string, targets: number[]): (() => void) | SimError {
    switch (spec.kind) {
      case 'kill':
      case 'mass-loss':
        for (const i of targets) life.hold(i);
        return () => targets.forEach((i) => life.release(i));
      case 'restart':
        for (const i of targets) life.hold(i);
        return () => targets.forEach((i) => life.release(i));
      case 'partition': {
        if (ctx.partitionActive) return { code: 'conflict', message: 'a partition is already active' };
        ctx.partitionActive = true;
        return () => {
          ctx.partitionActive = false;
          t.part.fill(0);
        };
      }
      case 'stale-neighbor': {
        const fixed = spec.peer !== undefined ? resolve(spec.peer) : -2;
        if (fixed === -1) return { code: 'unknown_node', message: `no node ${String(spec.peer)}` };
        for (const i of targets) {
          const peer = fixed >= 0 ? fixed : otherNode(i, false);
          if (peer < 0 || peer === i) continue;
          ctx.pins.set(i, { side: spec.side, peer, ver: t.ver[peer]! });
          relist(i);
        }
        return () =>
          targets.forEach((i) => {
            ctx.pins.delete(i);
            relist(i);
          });
      }
      case 'stall-thread': {
        const bit = 1 << THREADS.indexOf(spec.thread);
        for (const i of targets) {
          t.stallMask[i] = t.stallMask[i]! | bit;
          ctx.log(i, 'error', 'thread stalled', { thread: spec.thread });
        }
        return () =>
          targets.forEach((i) => {
            t.stallMask[i] = t.stallMask[i]! & ~bit;
            if (spec.thread === 'message-queue') t.backlog[i] = 0;
          });
      }
      case 'leak':
        for (const i of targets)
          metrics.setLeak(i, {
            since: ctx.now(),
            bytesPerSec: spec.bytesPerSec,
            queuePerSec: spec.queuePerSec,
          });
        return () => targets.forEach((i) => metrics.setLeak(i, undefined));
      case 'slow':
      case 'hang':
      case 'garbage': {
        const mode: AnswerMode =
          spec.kind === 'slow' ? { kind: 'slow', delayMs: spec.delayMs } : { kind: spec.kind };
        for (const i of targets) pushMode(modes, i, { id, mode });
        return () => targets.forEach((i) => dropMode(modes, i, id));
      }
      case 'lie-id': {
        const as = spec.as !== undefined ? resolve(spec.as) : -2;
        if (as === -1) return { code: 'unknown_node', message: `no node ${String(spec.as)}` };
        for (const i of targets) {
          const other = as >= 0 ? as : otherNode(i, false);
          if (other >= 0) pushMode(lies, i, { id, hex: t.hex[other]! });
        }
        return () => targets.forEach((i) => dropMode(lies, i, id));
      }
      case 'duplicate-id': {
        const as = spec.as !== undefined ? resolve(spec.as) : -2;
        if (as === -1) return { code: 'unknown_node', message: `no node ${String(spec.as)}` };
        const saved: { i: number; id: bigint; ver: number; newVer: number }[] = [];
        for (const i of targets) {
          const src = as >= 0 ? as : otherNode(i, true);
          if (src < 0 || src === i) continue;
          const newVer = t.idHist.get(i)?.length ?? 1;
          saved.push({ i, id: t.ids[i]!, ver: t.ver[i]!, newVer });
          t.setId(i, t.ids[src]!, newVer);
          life.restart(i, DUPLICATE_DOWN_MS);
        }
        return () =>
          saved.forEach(({ i, id: orig, ver, newVer }) => {
            if (t.ver[i] !== newVer) return;
            t.setId(i, orig, ver);
            life.restart(i, DUPLICATE_DOWN_MS);
          });
      }
    }
  }

  function partitionTargets(spec: Extract<FaultSpec, { kind: 'partition' }>): number[] {
    const all = Array.from({ length: t.n }, (_, i) => i);
    const size = Math.max(1, Math.min(t.n - 1, Math.round(spec.fraction * t.n)));
    let group: number[];
    if (spec.mode === 'random') group = rng.shuffle(all).slice(0, size);
    else {
      all.sort((a, b) => t.key[a]! - t.key[b]! || a - b);
      const start = rng.int(t.n);
      group = Array.from({ length: size }, (_, j) => all[(start + j) % t.n]!);
    }
    t.part.fill(2);
    for (const i of group) t.part[i] = 1;
    return group.sort((a, b) => a - b);
  }

  function finish(num: number, reason: string): boolean {
    const a = active.get(num);
    if (!a) return false;
    active.delete(num);
    a.rec.active = false;
    a.undo();
    a.rec.targets.slice(0, MAX_FAULT_LOGS).forEach((i) => {
      if (t.alive[i]) ctx.log(i, 'info', 'fault cleared', { fault: a.rec.id, kind: a.rec.kind, reason });
    });
    return true;
  }

  const faults: Faults = {
    inject(json) {
      const parsed = parseFault(json);
      if (!parsed.ok) return err('invalid_fault', parsed.message);
      const spec = parsed.spec;
      if (spec.kind === 'partition' && ctx.partitionActive)
        return err('conflict', 'a partition is already active');
      if (spec.kind === 'partition' && t.n < 2)
        return err('no_targets', 'a partition needs at least 2 nodes');
      const picked = spec.kind === 'partition' ? partitionTargets(spec) : pick(spec);
      if (!Array.isArray(picked)) return { ok: false, error: picked };
      const num = ++seq;
      const id = `f${num}`;
      const undo = apply(spec, id, picked);
      if (typeof undo !== 'function') {
        if (spec.kind === 'partition') t.part.fill(0);
        return { ok: false, error: undo };
      }
      const now = ctx.now();
      const durationMs = spec.kind === 'restart' ? spec.downMs : spec.durationMs;
      const rec: FaultRecord = {
        id,
        kind: spec.kind,
        targets: picked,
        targetIds: picked.map((i) => t.hex[i]!),
        spec: { ...spec },
        startedAt: now,
        active: true,
      };
      if (durationMs !== undefined) {
        rec.endsAt = now + durationMs;
        queue.push(rec.endsAt, EV.FAULT_END, num, 0, 0, 0);
      }
      active.set(num, { rec, undo });
      if (spec.kind !== 'partition') {
        picked.slice(0, MAX_FAULT_LOGS).forEach((i) => {
          if (t.alive[i]) ctx.log(i, 'warn', 'fault injected', { fault: id, kind: spec.kind });
        });
      }
      return { ok: true, fault: { ...rec, targets: [...picked], targetIds: [...rec.targetIds] } };
    },
    clear(id) {
      const m = /^f(\d+)$/.exec(id);
      return m ? finish(Number(m[1]), 'cleared') : false;
    },
    list: () =>
      [...active.values()].map((a) => ({
        ...a.rec,
        targets: [...a.rec.targets],
        targetIds: [...a.rec.targetIds],
      })),
    onEnd(num) {
      finish(num, 'expired');
    },
    answerMode(i) {
      if (!t.alive[i]) return { kind: 'down' };
      const list = modes.get(i);
      return list?.length ? list[list.length - 1]!.mode : { kind: 'normal' };
    },
    reportedId(i) {
      const list = lies.get(i);
      return list?.length ? list[list.length - 1]!.hex : t.hex[i]!;
    },
  };
  return faults;
}
