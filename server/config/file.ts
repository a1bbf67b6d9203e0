/**
 * Reads the YAML configuration file. Contract: resolves to the file's mapping (an empty file is `{}`)
 * and a locator giving the line a path was written on; throws ConfigError `config_file` when the file
 * cannot be read, is not valid YAML (with the line), or is not a mapping at its top.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigSource } from './errors.js';

export interface ConfigFile {
  value: Record<string, unknown>;
  /** `file:line` of the deepest written part of `path` (the key itself for an unknown key). */
  locate(path: readonly PropertyKey[], unknownKey?: string): string;
}

function fileError(source: ConfigSource, origin: string, message: string): ConfigError {
  return new ConfigError('config_file', [{ key: 'config', source, origin, message }]);
}

function errnoMessage(err: unknown, file: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `config file not found: ${file}`;
  if (code === 'EISDIR') return `config file is a directory: ${file}`;
  if (code === 'EACCES' || code === 'EPERM') return `config file not readable (permission denied): ${file}`;
  return `cannot read config file ${file}: ${err instanceof Error ? err.message : String(err)}`;
}

/** Start offset of the node at `path` (or of its key `unknownKey`), or of its deepest existing parent. */
function offsetOf(doc: Document, path: readonly PropertyKey[], unknownKey?: string): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = undefined;
  const steps = unknownKey === undefined ? path : [...path, unknownKey];
  for (const [i, step] of steps.entries()) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      const isLastKey = unknownKey !== undefined && i === steps.length - 1;
      next = isLastKey ? pair.key : (pair.value ?? pair.key);
    } else if (isSeq(node) && typeof step === 'number') {
      next = node.items[step];
    } else break;
    const range = (next as { range?: [number, number, number] } | undefined)?.range;
    if (!range) break;
    offset = range[0];
    node = next;
  }
  return offset;
}

export async function readConfigFile(file: string, source: ConfigSource): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(source, source === 'flag' ? '--config' : file, errnoMessage(err, file));
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const what = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? first.code;
    throw fileError(
      source,
      pos ? `${file}:${pos.line}` : file,
      `invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${what}`,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw fileError(source, file, `invalid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  value ??= {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw fileError(source, file, 'expected a mapping of sections at the top (server:, crawl:, …)');
  }
  return {
    value: value as Record<string, unknown>,
    locate(path, unknownKey) {
      const offset = offsetOf(doc, path, unknownKey);
      return offset === undefined ? file : `${file}:${lines.linePos(offset).line}`;
    },
  };
}
