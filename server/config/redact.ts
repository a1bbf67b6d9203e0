/** The configuration made safe to log: every secret key that is set becomes '***'. */
import { configKeys } from './keys.js';
import type { Config } from './schema.js';

export const REDACTED = '***';

/** A deep copy of `config` with secrets replaced; `config` itself is not changed. */
export function redactConfig(config: Config): Config {
  const out = structuredClone(config);
  for (const k of configKeys()) {
    if (!k.meta.secret) continue;
    let obj = out as unknown as Record<string, unknown>;
    for (const p of k.path.slice(0, -1)) obj = obj[p] as Record<string, unknown>;
    const last = k.path[k.path.length - 1] as string;
    if (obj[last] !== undefined) obj[last] = REDACTED;
  }
  return out;
}
