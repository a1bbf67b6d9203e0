/**
 * The server's logger: pino JSON lines (for log shippers), or, on a terminal or with `log.pretty`, one
 * readable line per record: `15:04:05 INFO  crawl finished crawlId=12 reachable=200 …`.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

function value(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One JSON log line as a readable line (unparsable input is passed through). */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(Number(rec.time)).toISOString().slice(11, 19);
  const level = (LEVELS[Number(rec.level)] ?? String(rec.level)).padEnd(5);
  const err = rec.err as { message?: string } | undefined;
  const fields = Object.entries(rec)
    .filter(([k]) => !SKIP.has(k) && k !== 'err' && k !== 'config')
    .map(([k, v]) => `${k}=${value(v)}`);
  return `${time} ${level} ${typeof rec.msg === 'string' ? rec.msg : ''}${fields.length ? ' ' + fields.join(' ') : ''}${err?.message ? ` error=${JSON.stringify(err.message)}` : ''}`;
}

export function createLogger(opts: { level: string; pretty: boolean }): Logger {
  if (!opts.pretty) return pino({ level: opts.level });
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) process.stdout.write(prettyLine(line) + '\n');
      done();
    },
  });
  return pino({ level: opts.level }, out);
}
