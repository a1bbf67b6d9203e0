/**
 * Where the server's event loop was blocked: reads a V8 CPU profile (`--cpu-prof`, e.g. through
 * BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR --cpu-prof-interval=500" on bench/load.ts) and
 * lists every busy stretch (samples with no idle sample between them) longer than MIN ms, with the
 * Ringwatch functions that took most of it. A stretch may hold several event-loop tasks back to back; its
 * top frames still say what kept the loop from answering. The main thread's profile is the `.0.` file.
 *   node --import tsx bench/long-tasks.ts PROFILE.cpuprofile [MIN_MS=50] [--skip SECONDS]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface Stretch {
  start: number;
  end: number;
  samples: number[];
}

const [file, minArg] = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--skip');
if (!file) {
  console.error('usage: node --import tsx bench/long-tasks.ts PROFILE.cpuprofile [MIN_MS] [--skip SECONDS]');
  process.exit(2);
}
const minUs = Number(minArg ?? 50) * 1000;
const skipAt = process.argv.indexOf('--skip');
const skipUs = skipAt >= 0 ? Number(process.argv[skipAt + 1]) * 1e6 : 0;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
process.stdout.on('error', () => process.exit(0)); // piped into head: stop quietly

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));

const stretches: Stretch[] = [];
let t = profile.startTime;
let current: Stretch | null = null;
profile.samples.forEach((sample, i) => {
  t += profile.timeDeltas[i] ?? 0;
  if (idle.has(sample)) {
    if (current) stretches.push(current);
    current = null;
    return;
  }
  current ??= { start: t, end: t, samples: [] };
  current.end = t;
  current.samples.push(sample);
});

const OURS = /\/(server|node-agent)\//;
function frame(id: number): string {
  const f = byId.get(id)!.callFrame;
  const where = f.url ? ` ${f.url.split('/').slice(-2).join('/')}` : '';
  return `${f.functionName || '(anonymous)'}${where}`;
}
/** The innermost Ringwatch frame of a sample's stack, else its leaf (GC, program, a library). */
function owner(id: number): string {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const f = byId.get(at)!.callFrame;
    if (OURS.test(f.url) && !f.url.includes('node_modules')) return frame(at);
  }
  return frame(id);
}

const long = stretches.filter((s) => s.end - s.start >= minUs && s.start - profile.startTime >= skipUs);
console.log(`${long.length} busy stretches ≥ ${minUs / 1000} ms (of ${stretches.length})`);
for (const s of long) {
  const count = new Map<string, number>();
  for (const id of s.samples) count.set(owner(id), (count.get(owner(id)) ?? 0) + 1);
  const top = [...count]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([f, n]) => `${f} ×${n}`)
    .join(' | ');
  const at = ((s.start - profile.startTime) / 1e6).toFixed(1);
  console.log(`${at} s  ${((s.end - s.start) / 1000).toFixed(0)} ms  ${top}`);
}
