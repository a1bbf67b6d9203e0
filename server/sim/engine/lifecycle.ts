/**
 * Node lifecycle: start/stop of incarnations (fresh state, counters reset, host hooks), Poisson churn,
 * fault "holds" that keep a node down, and the bootstrap: doubling join waves through the protocol, or a
 * converged initial condition. Also owns ready().
 */
import type { EngineCtx } from './context.js';
import { EV } from './context.js';
import type { Metrics } from './metrics.js';
import type { Protocol } from './protocol.js';
import { BOOT_SLOTS, K_NEAR, K_SHORTCUT, THREAD_COUNT } from './tables.js';
import type { Views } from './views.js';

const WAVE_CHECK_MS = 250;
const WAVE_TIMEOUT_MS = 15_000;

/**
 * Contract: up() starts a new incarnation (inc + 1) unless the node is alive or held down; down() stops
 * it; hold()/release() nest (a node comes back when the last hold is released, if it was ever started);
 * ready() resolves once every node was started, every alive node joined, and readyRounds passed.
 */
export interface Lifecycle {
  start(): void;
  stop(): void;
  up(i: number): void;
  down(i: number): void;
  /** Down for `ms` then back up (a churn-like restart); returns false when the node was not alive. */
  restart(i: number, ms: number): boolean;
  hold(i: number): void;
  release(i: number): void;
  setChurn(perHour: number): void;
  onChurnDown(i: number, inc: number, epoch: number): void;
  onChurnUp(i: number, inc: number): void;
  onWave(): void;
  onReady(): void;
  ready(): Promise<void>;
  isReady(): boolean;
}

/** Position of the first key >= target in ascending keys, wrapping to 0. */
function successor(keys: number[], target: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo % keys.length;
}

export function createLifecycle(
  ctx: EngineCtx,
  views: Views,
  metrics: Metrics,
  protocol: Protocol,
): Lifecycle {
  const { t, opts, queue, hooks, rng } = ctx;
  const n = t.n;
  let churnPerHour = opts.churnPerHour;
  let churnEpoch = 0;
  let startedCount = 0;
  let waveAt = 0;
  let readyFlag = false;
  let readyScheduled = false;
  let stopped = false;
  const waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  function scheduleChurn(i: number): void {
    if (churnPerHour <= 0) return;
    const at = ctx.now() + rng.exp(3_600_000 / churnPerHour);
    queue.push(at, EV.CHURN_DOWN, i, 0, t.inc[i]!, churnEpoch);
  }

  function randomBoot(i: number, below: number): void {
    for (let s = 0; s < BOOT_SLOTS; s++) {
      let p = below > 0 ? rng.int(below) : -1;
      if (p === i) p = below > 1 ? (p + 1) % below : -1;
      t.boot[i * BOOT_SLOTS + s] = p;
    }
  }

  function up(i: number, join = true): void {
    if (t.alive[i] || t.holds[i]! > 0 || stopped) return;
    const first = t.inc[i] === 0;
    t.inc[i] = t.inc[i]! + 1;
    t.alive[i] = 1;
    t.started[i] = 1;
    t.joined[i] = 0;
    t.pend[i] = 0;
    t.backlog[i] = 0;
    t.startedAt[i] = ctx.now();
    t.lastBeat.fill(0, i * THREAD_COUNT, (i + 1) * THREAD_COUNT);
    views.clear(i);
    protocol.links.clearNode(i);
    metrics.reset(i);
    if (!first) ctx.stats.restarts++;
    hooks.up(i);
    for (let th = 0; th < THREAD_COUNT; th++) ctx.beat(i, th);
    ctx.log(i, 'info', first ? 'node started' : 'node restarted', { incarnation: t.inc[i] });
    protocol.nodeStarted(i, join);
    scheduleChurn(i);
  }

  function down(i: number): void {
    if (!t.alive[i]) return;
    t.alive[i] = 0;
    t.joined[i] = 0;
    t.pend[i] = 0;
    protocol.links.clearNode(i);
    views.clear(i);
    hooks.down(i);
  }

  function convergedStart(): void {
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => t.key[a]! - t.key[b]! || (t.ids[a]! < t.ids[b]! ? -1 : t.ids[a]! > t.ids[b]! ? 1 : a - b),
    );
    const now = ctx.now();
    const per = Math.min(t.k, n - 1);
    for (let i = 0; i < n; i++) {
      randomBoot(i, n);
      t.inc[i] = 1;
      t.alive[i] = 1;
      t.started[i] = 1;
      t.joined[i] = 1;
      t.startedAt[i] = now;
      metrics.reset(i);
    }
    for (let p = 0; p < n; p++) {
      const x = order[p]!;
      for (let j = 0; j < per; j++) {
        const l = order[(p - 1 - j + n) % n]!;
        const r = order[(p + 1 + j) % n]!;
        t.left[x * t.k + j] = l;
        t.leftKey[x * t.k + j] = t.key[l]!;
        t.right[x * t.k + j] = r;
        t.rightKey[x * t.k + j] = t.key[r]!;
      }
    }
    // direct near connections first (relays need them), then relayed near pairs, then shortcuts
    for (const relayed of [false, true]) {
      for (let x = 0; x < n; x++) {
        for (let j = 0; j < per; j++) {
          for (const p of [t.left[x * t.k + j]!, t.right[x * t.k + j]!]) {
            if ((t.nat[x]! & t.nat[p]!) === (relayed ? 1 : 0)) protocol.links.initLink(x, p, K_NEAR);
          }
        }
      }
    }
    const keys = order.map((i) => t.key[i]!);
    for (let x = 0; x < n && n > 2 * t.k + 1; x++) {
      for (let s = 0; s < opts.shortcuts; s++) {
        const target = protocol.lookups.shortcutTarget(x);
        const y = order[successor(keys, target)]!;
        if (y !== x) protocol.links.initLink(x, y, K_SHORTCUT);
      }
    }
    startedCount = n;
    for (let i = 0; i < n; i++) {
      hooks.up(i);
      for (let th = 0; th < THREAD_COUNT; th++) ctx.beat(i, th);
      ctx.log(i, 'info', 'node started', { incarnation: 1, bootstrap: 'converged' });
      protocol.nodeStarted(i, false);
      scheduleChurn(i);
    }
    scheduleReady();
  }

  function scheduleReady(): void {
    if (readyScheduled) return;
    readyScheduled = true;
    queue.push(ctx.now() + opts.readyRounds * opts.stabilizeMs, EV.READY, 0, 0, 0, 0);
  }

  const life: Lifecycle = {
    start() {
      if (opts.bootstrap === 'converged') convergedStart();
      else queue.push(ctx.now(), EV.WAVE, 0, 0, 0, 0);
    },
    stop() {
      stopped = true;
      for (const w of waiters.splice(0)) w.reject(new Error('simulation stopped before ready'));
    },
    up: (i) => up(i),
    down,
    restart(i, ms) {
      if (!t.alive[i]) return false;
      down(i);
      queue.push(ctx.now() + ms, EV.CHURN_UP, i, 0, t.inc[i]!, 0);
      return true;
    },
    hold(i) {
      t.holds[i] = t.holds[i]! + 1;
      down(i);
    },
    release(i) {
      if (t.holds[i] === 0) return;
      t.holds[i] = t.holds[i]! - 1;
      if (t.holds[i] === 0 && t.started[i]) up(i);
    },
    setChurn(perHour) {
      churnPerHour = Math.max(0, perHour);
      churnEpoch++;
      for (let i = 0; i < n; i++) if (t.alive[i]) scheduleChurn(i);
    },
    onChurnDown(i, inc, epoch) {
      if (epoch !== churnEpoch || t.inc[i] !== inc || !t.alive[i]) return;
      down(i);
      const [lo, hi] = opts.downtimeMs;
      queue.push(ctx.now() + rng.range(lo, hi), EV.CHURN_UP, i, 0, inc, 0);
    },
    onChurnUp(i, inc) {
      if (t.inc[i] === inc && !t.alive[i]) up(i);
    },
    onWave() {
      if (stopped) return;
      const now = ctx.now();
      if (startedCount === 0) {
        randomBoot(0, n);
        t.started[0] = 1;
        up(0, false);
        t.joined[0] = 1; // the founder is the ring
        startedCount = 1;
        waveAt = now;
      } else {
        let pending = 0;
        for (let i = 0; i < startedCount; i++) if (t.alive[i] && !t.joined[i]) pending++;
        if (pending === 0 || now - waveAt > WAVE_TIMEOUT_MS) {
          if (startedCount >= n) {
            scheduleReady();
            return;
          }
          const next = Math.min(n, 2 * startedCount);
          for (let j = startedCount; j < next; j++) {
            randomBoot(j, startedCount);
            t.started[j] = 1;
          }
          const first = startedCount;
          startedCount = next;
          waveAt = now;
          for (let j = first; j < next; j++) up(j);
        }
      }
      queue.push(now + WAVE_CHECK_MS, EV.WAVE, 0, 0, 0, 0);
    },
    onReady() {
      readyFlag = true;
      for (const w of waiters.splice(0)) w.resolve();
    },
    ready() {
      if (readyFlag) return Promise.resolve();
      if (stopped) return Promise.reject(new Error('simulation stopped before ready'));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    isReady: () => readyFlag,
  };
  return life;
}
