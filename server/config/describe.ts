/**
 * The configuration reference, generated from the schema: one row per key with its type, default,
 * environment name(s) and description. docs/configuration.md is checked against it by a test.
 */
import { configKeys } from './keys.js';
import { ConfigSchema } from './schema.js';

export interface ConfigRow {
  /** Dotted key as written in YAML, e.g. `crawl.timeoutMs`. */
  key: string;
  /** `string`, `integer`, `number`, `boolean`, `string[]`, or the literal choices. */
  type: string;
  /** The default as JSON (`8080`, `"127.0.0.1"`, `[]`), or `unset` for optional keys. */
  default: string;
  /** The documented environment variable. */
  env: string;
  /** Further environment variables accepted for the key. */
  envAliases: string[];
  secret: boolean;
  description: string;
}

const DEFAULTS: unknown = ConfigSchema.parse({});

function defaultOf(path: readonly string[]): string {
  let cur: unknown = DEFAULTS;
  for (const p of path) cur = (cur as Record<string, unknown> | undefined)?.[p];
  return cur === undefined ? 'unset' : JSON.stringify(cur);
}

export function describeConfig(): ConfigRow[] {
  return configKeys().map((k) => ({
    key: k.key,
    type: k.leafType,
    // A structure's defaults are documented where it is (docs/alerting.md), not in one table cell.
    default: k.leaf.kind === 'json' ? 'shipped defaults' : defaultOf(k.path),
    env: k.env,
    envAliases: [...k.envAliases],
    secret: k.meta.secret ?? false,
    description: k.meta.description,
  }));
}
