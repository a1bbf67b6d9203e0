/**
 * Crash-test harness: builds the worker (worker.ts) once into a single ES module, starts it as a child
 * process, follows its step lines, and SIGKILLs it. Bundling is only for speed: loading the pipeline through
 * tsx costs 1.5–3 s per start on a loaded 2-core machine, the bundle a fraction of that, and the tests start
 * the worker dozens of times.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A built worker: `file` is the bundle; remove() deletes it. */
export interface BuiltWorker {
  file: string;
  remove(): void;
}

/**
 * Bundles worker.ts with everything but sqlite3 (a native addon). The bundle lives two levels below the
 * repository (test-artifacts/crash-…/worker.mjs) because the store finds migrations/ relative to its own
 * module URL ('../../migrations/') and sqlite3 in the repository's node_modules.
 */
export async function buildWorker(): Promise<BuiltWorker> {
  const dir = join(REPO, 'test-artifacts', `crash-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'worker.mjs');
  await build({
    entryPoints: [join(REPO, 'test', 'crash', 'worker.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['sqlite3'],
    logLevel: 'error',
    // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __rwRequire } from 'node:module'; const require = __rwRequire(import.meta.url);",
    },
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running worker. Contract: lines holds every stdout line so far; kill() resolves once it is gone. */
export interface WorkerProcess {
  readonly lines: string[];
  stderr(): string;
  /** The first line (already printed or to come) matching `re`; rejects if the worker exits first. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string>;
  readonly exited: Promise<Exit>;
  /** Lets a worker started with --gate go on (it waits after loading). */
  go(): void;
  kill(): Promise<Exit>;
}

export function startWorker(bundle: string, args: string[]): WorkerProcess {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined); // EPIPE when it is killed before go()
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters) w();
  });
  let exitedNow: Exit | null = null;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedNow = { code, signal };
      // Let the last lines arrive before waiters are told.
      setImmediate(() => {
        resolve(exitedNow!);
        for (const w of waiters) w();
      });
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  return {
    lines,
    stderr: () => err,
    exited,
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit !== undefined) return done(() => resolve(hit));
          if (gone) {
            done(() =>
              reject(new Error(`worker exited (${JSON.stringify(exitedNow)}) before ${re}: ${err}`)),
            );
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no line ${re} within ${timeoutMs} ms: ${lines.join(' | ')}`))),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      });
    },
    go() {
      child.stdin.end('go\n');
    },
    async kill() {
      if (!gone) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The seed from RINGWATCH_CRASH_SEED, else a fresh one. */
export function crashSeed(): number {
  const env = process.env.RINGWATCH_CRASH_SEED;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : Math.floor(Math.random() * 2 ** 31);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
