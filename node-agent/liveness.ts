/**
 * Thread liveness: each worker loop of the host owns a handle and beats it; the state is computed when
 * someone asks, from the injected clock, so no timers run per agent.
 */
import { STATUS_LIMITS } from './schema.js';
import type { ThreadState, ThreadStatus } from './schema.js';

/** Largest accepted deadline: one day. */
export const MAX_DEADLINE_MS = 86_400_000;

/** Options of `agent.liveness(name, options)`. */
export interface LivenessOptions {
  /** A thread that has not beaten for longer than this (integer ms, 1..86,400,000) is "stalled". */
  deadlineMs: number;
}

/**
 * One worker thread's liveness. Contract: `beat()` records progress and leaves the waiting state;
 * `waiting()` marks the thread legitimately idle (blocked waiting for work; it also counts as a beat)
 * until the next `beat()`; `state()` is "waiting" while waiting, else "stalled" once
 * now - lastBeat > deadlineMs, else "running". `close()` removes the thread from the status; after it,
 * beat/waiting are no-ops and asking the agent for the same name creates a fresh handle.
 */
export interface LivenessHandle {
  readonly name: string;
  readonly deadlineMs: number;
  beat(): void;
  waiting(): void;
  state(): ThreadState;
  /** Epoch ms of the last beat (or waiting() call, or creation). */
  lastBeatAt(): number;
  readonly closed: boolean;
  close(): void;
}

/** The liveness rule, shared with the sidecar (which reads beats from a state document). */
export function threadState(
  waiting: boolean,
  lastBeatMs: number,
  deadlineMs: number,
  nowMs: number,
): ThreadState {
  if (waiting) return 'waiting';
  return nowMs - lastBeatMs > deadlineMs ? 'stalled' : 'running';
}

function checkDeadline(deadlineMs: unknown): number {
  if (
    typeof deadlineMs !== 'number' ||
    !Number.isInteger(deadlineMs) ||
    deadlineMs < 1 ||
    deadlineMs > MAX_DEADLINE_MS
  ) {
    throw new Error(`liveness: deadlineMs must be an integer from 1 to ${MAX_DEADLINE_MS}`);
  }
  return deadlineMs;
}

class Liveness implements LivenessHandle {
  readonly name: string;
  deadlineMs: number;
  #last: number;
  #waiting = false;
  #owner: Map<string, Liveness> | undefined;
  readonly #now: () => number;

  constructor(name: string, deadlineMs: number, now: () => number, owner: Map<string, Liveness>) {
    this.name = name;
    this.deadlineMs = deadlineMs;
    this.#now = now;
    this.#owner = owner;
    this.#last = now();
  }
  get closed(): boolean {
    return this.#owner === undefined;
  }
  beat(): void {
    if (this.closed) return;
    this.#last = this.#now();
    this.#waiting = false;
  }
  waiting(): void {
    if (this.closed) return;
    this.#last = this.#now();
    this.#waiting = true;
  }
  lastBeatAt(): number {
    return this.#last;
  }
  get isWaiting(): boolean {
    return this.#waiting;
  }
  state(): ThreadState {
    return threadState(this.#waiting, this.#last, this.deadlineMs, this.#now());
  }
  close(): void {
    if (this.#owner?.get(this.name) === this) this.#owner.delete(this.name);
    this.#owner = undefined;
  }
}

/**
 * The threads of one agent. `get` returns the existing handle for a name (updating its deadline to the
 * latest call's) or creates one; at most STATUS_LIMITS.threads live handles.
 */
export class LivenessRegistry {
  readonly #threads = new Map<string, Liveness>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  get(name: string, options: LivenessOptions): LivenessHandle {
    if (typeof name !== 'string' || name.length < 1 || name.length > 128) {
      throw new Error('liveness: name must be a string of 1 to 128 characters');
    }
    const deadlineMs = checkDeadline(options?.deadlineMs);
    const existing = this.#threads.get(name);
    if (existing) {
      existing.deadlineMs = deadlineMs;
      return existing;
    }
    if (this.#threads.size >= STATUS_LIMITS.threads) {
      throw new Error(`liveness: at most ${STATUS_LIMITS.threads} threads per agent`);
    }
    const handle = new Liveness(name, deadlineMs, this.#now, this.#threads);
    this.#threads.set(name, handle);
    return handle;
  }

  /** Current states, in creation order, as the status document carries them. */
  list(nowMs: number): ThreadStatus[] {
    const out: ThreadStatus[] = [];
    for (const t of this.#threads.values()) {
      const last = t.lastBeatAt();
      out.push({
        name: t.name,
        state: threadState(t.isWaiting, last, t.deadlineMs, nowMs),
        lastBeatAt: new Date(last).toISOString(),
        deadlineMs: t.deadlineMs,
      });
    }
    return out;
  }
}
