/**
 * loadConfig: YAML file → RINGWATCH_* environment → command-line flags (later wins), validated by
 * ConfigSchema. Contract: resolves to a complete Config, or throws ConfigError listing every problem,
 * each with its key, where the value came from and what was wrong (secrets never echoed). It reads only
 * the file it is given and never touches process.env itself.
 */
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';
import { readConfigFile, type ConfigFile } from './file.js';
import { keyOf, sectionKeys } from './keys.js';
import { ConfigSchema, type Config } from './schema.js';
import { closest, envLayer, flagLayer, merge, type FlagValues, type Layer } from './sources.js';

export interface LoadConfigInput {
  /** YAML file to read (flags.config wins); when given it must exist. No file: defaults, env, flags. */
  file?: string;
  env: NodeJS.ProcessEnv;
  flags: Partial<FlagValues>;
  /** Told about things that are not errors (an unknown RINGWATCH_* variable). */
  warn?: (message: string) => void;
}

const EMPTY_FILE: ConfigFile = { value: {}, locate: () => 'default' };

function getIn(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function show(value: unknown, secret: boolean): string {
  if (secret) return '"***"';
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** An issue at `path` is about the value of `key` when it is that key or inside it (a list entry). */
const within = (path: string, key: string) => path === key || path.startsWith(`${key}.`);

function originIn(layer: Layer, dotted: string): string | undefined {
  for (const [key, origin] of layer.origins) if (within(dotted, key)) return origin;
  return undefined;
}

interface Sources {
  file: ConfigFile;
  env: Layer;
  flags: Layer;
  merged: unknown;
}

function attribute(path: readonly PropertyKey[], s: Sources): Pick<ConfigIssue, 'source' | 'origin'> {
  const dotted = path.filter((p) => typeof p === 'string').join('.');
  const flag = originIn(s.flags, dotted);
  if (flag !== undefined) return { source: 'flag', origin: flag };
  const env = originIn(s.env, dotted);
  if (env !== undefined) return { source: 'env', origin: env };
  for (let n = path.length; n >= 1; n--) {
    if (getIn(s.file.value, path.slice(0, n)) !== undefined)
      return { source: 'file', origin: s.file.locate(path) };
  }
  return { source: 'default', origin: 'default' };
}

function toIssues(issues: readonly z.core.$ZodIssue[], s: Sources): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const valid = sectionKeys(path) ?? [];
      for (const k of issue.keys) {
        const hint = closest(k, valid);
        out.push({
          key: [...path, k].join('.'),
          source: 'file',
          origin: s.file.locate(path, k),
          message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; this section accepts: ${valid.join(', ')}`,
        });
      }
      continue;
    }
    const firstIndex = path.findIndex((p) => typeof p === 'number');
    const keyPath = firstIndex < 0 ? path : path.slice(0, firstIndex);
    const value = getIn(s.merged, path);
    const crossField = issue.code === 'custom' && (issue.params as { crossField?: boolean })?.crossField;
    const got =
      crossField || value === undefined ? '' : `, got ${show(value, keyOf(path)?.meta.secret ?? false)}`;
    const entry = firstIndex < 0 ? '' : `entry ${Number(path[firstIndex]) + 1}: `;
    out.push({
      key: keyPath.length ? keyPath.join('.') : 'config',
      ...attribute(path, s),
      message: `${entry}${issue.message}${got}`,
    });
  }
  return out;
}

export async function loadConfig(input: LoadConfigInput): Promise<Config> {
  const path = input.flags.config ?? input.file;
  const file =
    path === undefined ? EMPTY_FILE : await readConfigFile(path, input.flags.config ? 'flag' : 'file');
  const env = envLayer(input.env, input.warn);
  const flags = flagLayer(input.flags);
  const merged = merge(merge(file.value, env.value), flags.value);
  const result = ConfigSchema.safeParse(merged);
  const issues = [...env.issues, ...flags.issues];
  if (!result.success) issues.push(...toIssues(result.error.issues, { file, env, flags, merged }));
  if (issues.length > 0 || !result.success) throw new ConfigError('config_invalid', issues);
  return result.data;
}
