/** Shared benchmark plumbing: spawn `ringwatch` child processes, read their ready lines, take medians. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Spawned<T> {
  child: ChildProcess;
  ready: T;
  startupMs: number;
  stop(): Promise<void>;
}

/** Starts `node bin/ringwatch.js ...args` and resolves with its first stdout line parsed as JSON. */
export async function spawnRingwatch<T>(args: string[], timeoutMs = 600_000): Promise<Spawned<T>> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--max-old-space-size=8192', 'bin/ringwatch.js', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [line] = (await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`ringwatch ${args[0]} exited with ${String(code)} before ready`);
      }),
    ])) as [string];
    return {
      child,
      ready: JSON.parse(line) as T,
      startupMs: performance.now() - t0,
      async stop() {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await once(child, 'exit');
      },
    };
  } finally {
    clearTimeout(timer);
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export const MiB = 1024 * 1024;
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
