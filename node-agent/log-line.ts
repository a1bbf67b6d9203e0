/**
 * Log records: turning pino's JSON lines (or plain text lines) into protocol LogRecords, and
 * serializing a record once, with a per-record size cap, for the ring buffer.
 */
import { LogLevelSchema } from './schema.js';
import type { LogLevel } from './schema.js';

/** Largest serialized record; bigger records lose their fields and have `msg` shortened. */
export const MAX_RECORD_BYTES = 16_384;

/** Numeric rank of each level (pino's numbers), for "minimum level" filtering. */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** A record ready for the buffer: epoch ms and level rank for filtering, and its JSON text. */
export interface LogEntry {
  readonly t: number;
  readonly rank: number;
  readonly json: string;
  readonly bytes: number;
}

/** Maps a pino numeric level (10..60, custom levels rounded down) or a level name to a protocol level. */
export function levelFrom(value: unknown): LogLevel {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (value < 20) return 'trace';
    if (value < 30) return 'debug';
    if (value < 40) return 'info';
    if (value < 50) return 'warn';
    if (value < 60) return 'error';
    return 'fatal';
  }
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'warning') return 'warn';
    if (lower === 'critical') return 'fatal';
    const parsed = LogLevelSchema.safeParse(lower);
    if (parsed.success) return parsed.data;
  }
  return 'info';
}

/** Epoch ms of a pino `time` (epoch ms number or date string); undefined when absent or invalid. */
function timeFrom(value: unknown): number | undefined {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : undefined;
}

const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);
const PLAIN_TIME = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\]?/;
const PLAIN_LEVEL = /\b(trace|debug|info|warn|warning|error|fatal|critical)\b/i;

/**
 * Builds a buffer entry from one log line. A JSON object line is read as pino output (numeric or named
 * `level`, `time` as epoch ms or date string, `msg`; every other key except pid/hostname goes into
 * `fields`). Any other line is plain text: a leading ISO-8601 timestamp and a level word within the
 * first 64 characters are recognized, otherwise time = `nowMs` and level = info.
 */
export function entryFromLine(line: string, nowMs: number): LogEntry {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch {
      obj = undefined;
    }
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
      const rec = obj as Record<string, unknown>;
      const fields: Record<string, unknown> = {};
      for (const key of Object.keys(rec)) if (!OMITTED.has(key)) fields[key] = rec[key];
      const msg =
        typeof rec.msg === 'string' ? rec.msg : rec.msg === undefined ? '' : JSON.stringify(rec.msg);
      return makeEntry(timeFrom(rec.time) ?? nowMs, levelFrom(rec.level), msg, fields);
    }
  }
  const time = PLAIN_TIME.exec(trimmed);
  const parsedTime = time?.[1] === undefined ? undefined : timeFrom(time[1].replace(',', '.'));
  const level = PLAIN_LEVEL.exec(trimmed.slice(0, 64))?.[1];
  return makeEntry(parsedTime ?? nowMs, level === undefined ? 'info' : levelFrom(level), trimmed);
}

function serialize(time: string, level: LogLevel, msg: string, fieldsJson: string | undefined): string {
  const head = `{"time":${JSON.stringify(time)},"level":"${level}","msg":${JSON.stringify(msg)}`;
  return fieldsJson === undefined ? `${head}}` : `${head},"fields":${fieldsJson}}`;
}

function fieldsToJson(fields: Record<string, unknown> | undefined): string | undefined {
  if (fields === undefined || Object.keys(fields).length === 0) return undefined;
  try {
    const json = JSON.stringify(fields);
    return json === undefined || json === '{}' ? undefined : json;
  } catch {
    return '{"unserializable":true}';
  }
}

/**
 * Serializes a record (LogRecordSchema shape) once. Records over MAX_RECORD_BYTES keep time and level,
 * get `fields: { truncated: true, originalBytes }` and a `msg` shortened to fit.
 */
export function makeEntry(
  timeMs: number,
  level: LogLevel,
  msg: string,
  fields?: Record<string, unknown>,
): LogEntry {
  const time = new Date(timeMs).toISOString();
  let json = serialize(time, level, msg, fieldsToJson(fields));
  let bytes = Buffer.byteLength(json);
  if (bytes > MAX_RECORD_BYTES) {
    const marker = `{"truncated":true,"originalBytes":${bytes}}`;
    let cut = msg.length;
    for (;;) {
      json = serialize(time, level, msg.slice(0, cut), marker);
      bytes = Buffer.byteLength(json);
      if (bytes <= MAX_RECORD_BYTES || cut === 0) break;
      cut = Math.min(Math.floor(cut * 0.75), MAX_RECORD_BYTES);
    }
  }
  return { t: timeMs, rank: LEVEL_RANK[level], json, bytes };
}
