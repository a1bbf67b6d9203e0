/**
 * The keys of the configuration, read off the schema: every leaf (a value that is not a section) with
 * its path, environment names, metadata and kind. Environment and flag values are coerced by kind;
 * the docs table is generated from the same list, so neither can miss a key.
 */
import type { z } from 'zod';
import { configMeta, type KeyMeta } from './fields.js';
import { ConfigSchema, DETECTOR_DESCRIPTIONS } from './schema.js';

/** How a string from the environment or a flag becomes a value. Closed. */
export type LeafKind =
  | { kind: 'string' }
  | { kind: 'number'; integer: boolean }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list'; item: LeafKind }
  | { kind: 'union'; options: LeafKind[] }
  | { kind: 'literal'; value: unknown }
  /** A whole structure (meta.type 'mapping'): JSON in the environment. */
  | { kind: 'json' };

export interface ConfigKey {
  /** Dotted path, e.g. `crawl.timeoutMs`. */
  key: string;
  path: readonly string[];
  /** Documented environment name, then further accepted names. */
  env: string;
  envAliases: readonly string[];
  meta: KeyMeta;
  leaf: LeafKind;
  /** The type as the docs show it (typeLabel of `leaf`). */
  leafType: string;
  /** The schema as placed in its section (with its default / optional wrapper). */
  schema: z.ZodType;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string>;
  values?: unknown[];
  shape?: Record<string, z.ZodType>;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

const def = (s: z.ZodType): Def => s._zod.def;

/** The schema under default/optional/pipe wrappers. */
export function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const d = def(cur);
    if (WRAPPERS.has(d.type) && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else return cur;
  }
}

/** The keys of a section schema (undefined when `s` is not a section). */
export function shapeOf(s: z.ZodType): Record<string, z.ZodType> | undefined {
  const d = def(unwrap(s));
  return d.type === 'object' ? d.shape : undefined;
}

function kindOf(s: z.ZodType): LeafKind {
  const inner = unwrap(s);
  const d = def(inner);
  switch (d.type) {
    case 'number':
      return { kind: 'number', integer: (inner as z.ZodNumber).isInt };
    case 'boolean':
      return { kind: 'boolean' };
    case 'enum':
      return { kind: 'enum', values: Object.values(d.entries ?? {}) };
    case 'array':
      return { kind: 'list', item: kindOf(d.element as z.ZodType) };
    case 'union':
      return { kind: 'union', options: (d.options ?? []).map(kindOf) };
    case 'literal':
      return { kind: 'literal', value: d.values?.[0] };
    default:
      return { kind: 'string' };
  }
}

/** `timeoutMs` → `TIMEOUT_MS`, `minR2` → `MIN_R2`. */
export function screamingSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function envNameOf(path: readonly string[]): string {
  return `RINGWATCH_${path.map(screamingSnake).join('_')}`;
}

function collect(shape: Record<string, z.ZodType>, prefix: string[], out: ConfigKey[]): void {
  for (const [name, schema] of Object.entries(shape)) {
    const path = [...prefix, name];
    const inner = shapeOf(schema);
    if (inner) {
      collect(inner, path, out);
      continue;
    }
    const key = path.join('.');
    const meta = configMeta.get(schema) ?? { description: DETECTOR_DESCRIPTIONS[key] ?? '' };
    const generic = envNameOf(path);
    const env = meta.env ?? generic;
    const envAliases = [...new Set([...(meta.aliases ?? []), generic])].filter((n) => n !== env);
    const leaf: LeafKind = meta.type === 'mapping' ? { kind: 'json' } : kindOf(schema);
    out.push({ key, path, env, envAliases, meta, leaf, leafType: meta.type ?? typeLabel(leaf), schema });
  }
}

const KEYS: readonly ConfigKey[] = (() => {
  const out: ConfigKey[] = [];
  collect(ConfigSchema.shape, [], out);
  return out;
})();

/** Every key of ConfigSchema, in schema order. */
export function configKeys(): readonly ConfigKey[] {
  return KEYS;
}

/** The key whose path is `path` or a prefix of it (an entry of a list belongs to the list's key). */
export function keyOf(path: readonly PropertyKey[]): ConfigKey | undefined {
  const dotted = path.filter((p) => typeof p === 'string').join('.');
  return configKeys().find((k) => dotted === k.key || dotted.startsWith(`${k.key}.`));
}

/** Names of the keys a section at `path` accepts (undefined when `path` is not a section). */
export function sectionKeys(path: readonly PropertyKey[]): string[] | undefined {
  let shape: Record<string, z.ZodType> | undefined = ConfigSchema.shape;
  for (const p of path) {
    const next: z.ZodType | undefined = shape?.[String(p)];
    shape = next ? shapeOf(next) : undefined;
  }
  return shape ? Object.keys(shape) : undefined;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseBool(s: string): boolean | undefined {
  const v = s.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

/**
 * A string (environment variable or flag) as a value of `leaf`. A string that does not fit is returned
 * unchanged, so the schema rejects it with its own "expected …" message.
 */
export function coerce(leaf: LeafKind, raw: string): unknown {
  const s = raw.trim();
  switch (leaf.kind) {
    case 'number':
      return NUMBER.test(s) ? Number(s) : raw;
    case 'boolean':
      return parseBool(s) ?? raw;
    case 'list':
      return s === ''
        ? []
        : s
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x !== '')
            .map((x) => coerce(leaf.item, x));
    case 'json':
      try {
        return JSON.parse(s) as unknown;
      } catch {
        return raw;
      }
    case 'union':
      for (const o of leaf.options) {
        if (o.kind === 'literal' && s === String(o.value)) return o.value;
        if (o.kind === 'boolean' && parseBool(s) !== undefined) return parseBool(s);
        if (o.kind === 'number' && NUMBER.test(s)) return Number(s);
      }
      return raw;
    default:
      return raw;
  }
}

/** The type of a key as the docs show it: `integer`, `string[]`, `"auto" | boolean`, … */
export function typeLabel(leaf: LeafKind): string {
  switch (leaf.kind) {
    case 'number':
      return leaf.integer ? 'integer' : 'number';
    case 'enum':
      return leaf.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'list': {
      const item = typeLabel(leaf.item);
      return leaf.item.kind === 'enum' ? `(${item})[]` : `${item}[]`;
    }
    case 'union':
      return leaf.options.map(typeLabel).join(' | ');
    case 'literal':
      return JSON.stringify(leaf.value);
    case 'json':
      return 'mapping';
    default:
      return leaf.kind;
  }
}
