/**
 * The per-agent log ring buffer: bounded by record count and serialized bytes, dropping the oldest
 * record first. Storage grows with use (nothing is preallocated), so idle agents cost nothing.
 */
import { LEVEL_RANK, MAX_RECORD_BYTES, entryFromLine } from './log-line.js';
import type { LogEntry } from './log-line.js';
import type { LogsQuery } from './schema.js';

export const DEFAULT_LOG_CAPACITY = { records: 1000, bytes: 262_144 } as const;

/** Bounds of one buffer: at most `records` records and `bytes` bytes of serialized records. */
export interface LogCapacity {
  records: number;
  bytes: number;
}

/** The records of one log answer, oldest first, each already serialized as a LogRecord JSON object. */
export interface LogPage {
  records: string[];
  /** True when more records matched the filters than the answer carries (tail or byte cap). */
  truncated: boolean;
}

export class LogBuffer {
  readonly #cap: LogCapacity;
  #entries: (LogEntry | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(capacity: LogCapacity) {
    this.#cap = capacity;
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }
  get bytes(): number {
    return this.#bytes;
  }
  /** Records evicted so far to honour the capacity. */
  get dropped(): number {
    return this.#dropped;
  }

  append(entry: LogEntry): void {
    this.#entries.push(entry);
    this.#bytes += entry.bytes;
    while (this.size > this.#cap.records || (this.#bytes > this.#cap.bytes && this.size > 0)) {
      const old = this.#entries[this.#head];
      this.#entries[this.#head] = undefined;
      this.#head++;
      this.#bytes -= old?.bytes ?? 0;
      this.#dropped++;
    }
    if (this.#head >= 32 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * Newest `tail` records matching the filters (time >= now - sinceSeconds, level >= query level), in
   * time order, holding at most `maxBytes` bytes of records.
   */
  query(q: LogsQuery, nowMs: number, maxBytes: number): LogPage {
    const since = q.sinceSeconds === undefined ? -Infinity : nowMs - q.sinceSeconds * 1000;
    const minRank = q.level === undefined ? 0 : LEVEL_RANK[q.level];
    const picked: string[] = [];
    let bytes = 0;
    let truncated = false;
    for (let i = this.#entries.length - 1; i >= this.#head; i--) {
      const e = this.#entries[i];
      if (e === undefined || e.t < since || e.rank < minRank) continue;
      if (picked.length >= q.tail || bytes + e.bytes + 1 > maxBytes) {
        truncated = true;
        break;
      }
      picked.push(e.json);
      bytes += e.bytes + 1;
    }
    return { records: picked.reverse(), truncated };
  }
}

/**
 * A write-only log destination: accepts newline-delimited log lines (pino's JSON output or plain text),
 * whole or in pieces, so `pino({}, agent.logStream)` works. Contract: each complete line becomes one
 * record; a trailing partial line waits for its newline (or is cut into a record once it exceeds 64 KiB).
 * `write` never throws and always returns true (no backpressure: the buffer drops oldest records).
 */
export interface LogSink {
  write(chunk: string | Uint8Array): boolean;
}

const MAX_PENDING = MAX_RECORD_BYTES * 4;

/** A LogSink feeding `append`, reading the time for lines without one from `now`. */
export function createLogSink(append: (e: LogEntry) => void, now: () => number): LogSink {
  let pending = '';
  let decoder: TextDecoder | undefined;
  return {
    write(chunk: string | Uint8Array): boolean {
      const text =
        typeof chunk === 'string' ? chunk : (decoder ??= new TextDecoder()).decode(chunk, { stream: true });
      const parts = (pending + text).split('\n');
      pending = parts.pop() ?? '';
      if (pending.length > MAX_PENDING) {
        parts.push(pending);
        pending = '';
      }
      for (const line of parts) {
        if (line.trim() !== '') append(entryFromLine(line, now()));
      }
      return true;
    },
  };
}
