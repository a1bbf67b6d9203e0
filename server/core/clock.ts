/**
 * Time as a dependency. Everything that reads the time or waits takes a Clock, so tests can drive
 * time by hand (manualClock) and the simulator can run faster than real time.
 *
 * Contract: now() is milliseconds since the Unix epoch and never goes backwards; a timer set for
 * `ms` fires no earlier than now()+ms; clearTimeout on a fired or cleared handle is a no-op.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

export function systemClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = next++;
      const t = setTimeout(() => {
        timers.delete(id);
        fn();
      }, ms);
      t.unref?.();
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      const t = timers.get(handle.id);
      if (t) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
}

/** A clock that only moves when told to; advance() fires due timers in time order. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Number of timers not yet fired. */
  pending(): number;
}

export function manualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let now = startMs;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return { id };
    },
    clearTimeout(handle) {
      timers.delete(handle.id);
    },
    pending: () => timers.size,
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let dueId = -1;
        let dueAt = Infinity;
        for (const [id, t] of timers) {
          if (t.at <= target && (t.at < dueAt || (t.at === dueAt && id < dueId))) {
            dueAt = t.at;
            dueId = id;
          }
        }
        if (dueId < 0) break;
        const t = timers.get(dueId)!;
        timers.delete(dueId);
        now = Math.max(now, t.at);
        t.fn();
      }
      now = target;
    },
  };
}
