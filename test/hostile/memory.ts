/**
 * Memory measurement around one async operation: baseline after a full GC (when one can be had),
 * peaks sampled every few milliseconds while it runs, and what remains after another GC.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const MIB = 1_048_576;

export interface MemoryReport {
  gc: boolean;
  baseRss: number;
  baseHeap: number;
  peakRss: number;
  peakHeap: number;
  /** After the operation and a GC. */
  endRss: number;
  endHeap: number;
  samples: number;
  /** One line with the figures in MiB. */
  text: string;
}

/**
 * A full-GC function: the global `gc` under --expose-gc, else one obtained by turning the flag on at run
 * time (V8 then installs `gc` in new contexts); undefined when neither works.
 */
export function exposeGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

const mib = (n: number): string => (n / MIB).toFixed(1);

/** Runs `op`, sampling process.memoryUsage() every `everyMs` ms (and once at each end). */
export async function measureMemory<T>(
  op: () => Promise<T>,
  everyMs = 5,
): Promise<{ result: T; report: MemoryReport }> {
  const gc = exposeGc();
  gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let samples = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    samples++;
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  };
  const timer = setInterval(sample, everyMs);
  let result: T;
  try {
    result = await op();
  } finally {
    clearInterval(timer);
    sample();
  }
  gc?.();
  const end = process.memoryUsage();
  const text =
    `rss ${mib(base.rss)} → peak ${mib(peakRss)} (+${mib(peakRss - base.rss)}) → ${mib(end.rss)} MiB; ` +
    `heap ${mib(base.heapUsed)} → peak ${mib(peakHeap)} (+${mib(peakHeap - base.heapUsed)}) → ` +
    `${mib(end.heapUsed)} MiB after GC; ${samples} samples${gc ? '' : ' (no gc available)'}`;
  return {
    result,
    report: {
      gc: gc !== undefined,
      baseRss: base.rss,
      baseHeap: base.heapUsed,
      peakRss,
      peakHeap,
      endRss: end.rss,
      endHeap: end.heapUsed,
      samples,
      text,
    },
  };
}
