/**
 * The environment and the command-line flags as configuration layers: a partial configuration object,
 * plus the origin (variable or flag name) of each key it sets, so an error can name where a bad value
 * came from. Strings are coerced by the key's kind (numbers, true/false/1/0, comma-separated lists).
 */
import type { ConfigIssue } from './errors.js';
import { coerce, configKeys, type ConfigKey } from './keys.js';

/** The command-line flags the configuration reads (the CLI parses them; undefined = not given). */
export interface FlagValues {
  /** Path of the YAML configuration file (it must exist). */
  config: string;
  port: number;
  host: string;
  db: string;
  /** Forces the embedded simulator on, with this many nodes. */
  sim: number;
  /** crawl.seeds (repeatable flag); an empty list counts as not given. */
  seed: string[];
  schedule: string;
  concurrency: number;
  timeoutMs: number;
  logLevel: string;
}

export interface Layer {
  value: Record<string, unknown>;
  /** Dotted key → origin (`RINGWATCH_PORT`, `--port`). */
  origins: Map<string, string>;
  issues: ConfigIssue[];
}

const PREFIX = 'RINGWATCH_';

/** RINGWATCH_* variables that are not configuration keys (read by other programs). */
const NOT_CONFIG = new Set(['RINGWATCH_AGENT_TOKEN', 'RINGWATCH_TEST_CONCURRENCY']);

const FLAG_KEYS: Readonly<Record<Exclude<keyof FlagValues, 'config' | 'sim'>, string>> = {
  port: 'server.port',
  host: 'server.host',
  db: 'database.file',
  seed: 'crawl.seeds',
  schedule: 'crawl.schedule',
  concurrency: 'crawl.concurrency',
  timeoutMs: 'crawl.timeoutMs',
  logLevel: 'log.level',
};

export const flagName = (flag: string): string => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let obj = target;
  for (const p of path.slice(0, -1)) {
    const next = obj[p];
    if (next && typeof next === 'object' && !Array.isArray(next)) obj = next as Record<string, unknown>;
    else obj = obj[p] = {};
  }
  obj[path[path.length - 1] as string] = value;
}

function keyByName(key: string): ConfigKey {
  const k = configKeys().find((c) => c.key === key);
  if (!k) throw new Error(`config: no key ${key}`); // a mistake in FLAG_KEYS, caught by the tests
  return k;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The candidate closest to `word` (ignoring case, `_` and `-`), if it is close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(norm(word), norm(c));
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(1, Math.floor(word.length / 4)) ? best.c : undefined;
}

/**
 * The RINGWATCH_* variables of `env`. An empty variable counts as unset. A key set under two of its
 * names with different values is an issue; an unknown RINGWATCH_* name is reported to `warn`.
 */
export function envLayer(env: NodeJS.ProcessEnv, warn?: (message: string) => void): Layer {
  const layer: Layer = { value: {}, origins: new Map(), issues: [] };
  const known = new Set<string>();
  for (const k of configKeys()) {
    const names = [k.env, ...k.envAliases];
    names.forEach((n) => known.add(n));
    const set = names.filter((n) => (env[n] ?? '').trim() !== '');
    const first = set[0];
    if (first === undefined) continue;
    const raw = env[first] as string;
    const other = set.find((n) => env[n]?.trim() !== raw.trim());
    if (other !== undefined) {
      layer.issues.push({
        key: k.key,
        source: 'env',
        origin: `${first} and ${other}`,
        message: 'set under two names with different values; set only one',
      });
      continue;
    }
    setIn(layer.value, k.path, coerce(k.leaf, raw));
    layer.origins.set(k.key, first);
  }
  if (warn) {
    for (const name of Object.keys(env).sort()) {
      if (!name.startsWith(PREFIX) || known.has(name) || NOT_CONFIG.has(name)) continue;
      const hint = closest(
        name.slice(PREFIX.length),
        [...known].map((n) => n.slice(PREFIX.length)),
      );
      warn(`ignoring unknown environment variable ${name}${hint ? ` (did you mean ${PREFIX}${hint}?)` : ''}`);
    }
  }
  return layer;
}

/** The flags given (undefined values and an empty --seed list are not given; `config` is not a key). */
export function flagLayer(flags: Partial<FlagValues>): Layer {
  const layer: Layer = { value: {}, origins: new Map(), issues: [] };
  const put = (key: string, value: unknown, origin: string) => {
    const k = keyByName(key);
    setIn(layer.value, k.path, typeof value === 'string' ? coerce(k.leaf, value) : value);
    layer.origins.set(k.key, origin);
  };
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const value: unknown = flags[flag as keyof typeof FLAG_KEYS];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    put(key, value, flagName(flag));
  }
  if (flags.sim !== undefined) {
    put('simulator.enabled', true, '--sim');
    put('simulator.nodes', flags.sim, '--sim');
  }
  return layer;
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `over` on top of `base`: mappings merge key by key, anything else in `over` replaces. A non-mapping
 * in `base` where `over` has a mapping is kept, so the schema reports it instead of it being hidden.
 */
export function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlain(over)) return over;
  if (base !== undefined && !isPlain(base)) return base;
  const out: Record<string, unknown> = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out;
}
