/** In-memory DetectorStateStore (tests, dry runs). Same contract as the SQLite one (see types.ts). */
import type { DetectorName, DetectorStateStore, JsonObject } from './types.js';

/** The data behind a memory store: detector → key → JSON text. Share it to simulate a restart. */
export type MemoryStateData = Map<DetectorName, Map<string, string>>;

const MAX_KEY_LENGTH = 512;

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new Error(`detector state: key must be a string of 1..${MAX_KEY_LENGTH} characters`);
  }
}

/**
 * A store over `data` (a fresh one by default). Values are kept as JSON text, exactly like the SQLite
 * store, so a test cannot pass by sharing object references. Two stores over the same `data` behave
 * like one database opened twice (a restarted process).
 */
export function createMemoryStateStore(data: MemoryStateData = new Map()): DetectorStateStore & {
  readonly data: MemoryStateData;
} {
  const ns = (detector: DetectorName): Map<string, string> => {
    let m = data.get(detector);
    if (m === undefined) data.set(detector, (m = new Map<string, string>()));
    return m;
  };
  return {
    data,
    get(detector, key) {
      checkKey(key);
      const text = data.get(detector)?.get(key);
      return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as JsonObject));
    },
    set(detector, key, value) {
      checkKey(key);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return Promise.reject(new Error('detector state: a value must be a JSON object'));
      }
      ns(detector).set(key, JSON.stringify(value));
      return Promise.resolve();
    },
    delete(detector, key) {
      checkKey(key);
      data.get(detector)?.delete(key);
      return Promise.resolve();
    },
    entries(detector) {
      const out = new Map<string, JsonObject>();
      for (const [k, text] of data.get(detector) ?? []) out.set(k, JSON.parse(text) as JsonObject);
      return Promise.resolve(out);
    },
  };
}
