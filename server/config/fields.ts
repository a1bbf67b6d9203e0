/**
 * Building blocks of the configuration schema: key metadata (description, env names, secrecy) kept in
 * a registry of our own, and field constructors whose error messages read as "expected …" so that a
 * ConfigError line can append ", got <value>".
 */
import { z } from 'zod';
import cron from 'node-cron';
import { createAllowList } from '../crawl/allow-list.js';
import { normalizeEndpoint } from '../crawl/endpoint.js';

/** What the documentation and the environment loader know about one key. */
export interface KeyMeta {
  /** One sentence for docs/configuration.md and `describeConfig()`. */
  description: string;
  /** Never logged or echoed in errors; `redactConfig` replaces it with '***'. */
  secret?: boolean;
  /** The documented environment name when it is not RINGWATCH_<SECTION>_<KEY>. */
  env?: string;
  /** Further environment names accepted for the key (the generic name included when `env` overrides it). */
  aliases?: readonly string[];
  /** The type as the docs show it, for a key whose value is a whole structure (e.g. `alerting`). */
  type?: string;
}

/**
 * Metadata of every key defined here, by schema instance (a registry private to the config module;
 * the detector thresholds, which live in server/detect, are described in schema.ts by path).
 */
export const configMeta = z.registry<KeyMeta>();

/** Registers `meta` for `schema` and returns the schema (so a shape reads `port: key(..., {...})`). */
export function key<T extends z.ZodType>(schema: T, meta: KeyMeta): T {
  configMeta.add(schema, meta);
  return schema;
}

/** An integer in [min, max] (max defaults to the largest safe integer). */
export function wholeNumber(min: number, max?: number) {
  const error =
    max === undefined ? `expected a whole number ≥ ${min}` : `expected a whole number from ${min} to ${max}`;
  const n = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? n : n.max(max, { error });
}

/** A number > 0 (fractions allowed). */
export function positiveNumber() {
  const error = 'expected a number > 0';
  return z.number({ error }).positive({ error });
}

export function bool() {
  return z.boolean({ error: 'expected true or false' });
}

/** Non-empty text. */
export function text() {
  return z
    .string({ error: 'expected a string (quote it in YAML when it looks like a number)' })
    .min(1, { error: 'expected a non-empty string' });
}

/** A secret: text of at least `min` characters. */
export function secret(min: number) {
  return z
    .string({ error: 'expected a string (quote it in YAML when it looks like a number)' })
    .min(min, { error: `expected at least ${min} characters` });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });
}

/** An absolute http(s) URL. */
export function httpUrl() {
  return text().refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), {
    error: 'expected an absolute http:// or https:// URL',
  });
}

/** A node endpoint the crawler can visit (http(s), no credentials, no query). */
export function endpoint() {
  return text().refine((s) => normalizeEndpoint(s) !== undefined, {
    error: 'expected an http:// or https:// endpoint URL without user name or password',
  });
}

/** A node-cron expression (5 fields, or 6 with seconds first). */
export function cronExpression() {
  return text().refine((s) => cron.validate(s), {
    error: 'expected a cron expression (5 fields, or 6 with seconds first), e.g. "0 * * * * *"',
  });
}

/** An allow-list entry: a CIDR network, a single address or a host name. */
export function allowEntry() {
  return text().refine(
    (s) => {
      try {
        createAllowList([s]);
        return true;
      } catch {
        return false;
      }
    },
    { error: 'expected a CIDR network (10.0.0.0/8, fd00::/8), an IP address or a host name' },
  );
}

/** A list of `item`s (YAML sequence; comma-separated in the environment). */
export function list<T extends z.ZodType>(item: T) {
  return z.array(item, { error: 'expected a list (a YAML sequence, or comma-separated in the environment)' });
}

/** Error of a section (strict mapping) that is not a mapping; unknown keys are reported by the loader. */
export const SECTION = { error: 'expected a section of keys (a YAML mapping)' } as const;
