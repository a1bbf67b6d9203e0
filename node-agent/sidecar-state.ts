/**
 * Where a sidecar's node state comes from: a JSON file (re-read when its identity, size or mtime
 * changes) or a command (run through the shell with a timeout; stdout is the JSON; the result, good or
 * bad, is cached for refreshMs). Either way the text is validated with NodeStateSchema.
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { describeIssues } from './endpoint.js';
import { NodeStateSchema } from './schema.js';
import type { NodeState } from './schema.js';

/** Largest state document accepted, from a file or a command's stdout. */
export const MAX_STATE_BYTES = 4_194_304;

/** A state read: the document, or why there is none (both answered 503 by the status route). */
export type StateResult =
  | { ok: true; state: NodeState }
  | { ok: false; code: 'state_unavailable' | 'state_invalid'; message: string };

/** Contract: `read()` never rejects; `close()` stops any command still running. */
export interface StateSource {
  read(): Promise<StateResult>;
  close(): void;
}

/** Parses and validates a state document's text. */
export function parseState(text: string): StateResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, code: 'state_invalid', message: `state is not JSON: ${(err as Error).message}` };
  }
  const parsed = NodeStateSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'state_invalid',
      message: `state document: ${describeIssues(parsed.error.issues)}`,
    };
  }
  return { ok: true, state: parsed.data };
}

function unavailable(message: string): StateResult {
  return { ok: false, code: 'state_unavailable', message };
}

export function fileStateSource(path: string): StateSource {
  let key = '';
  let last: StateResult = unavailable('state file not read yet');
  return {
    async read(): Promise<StateResult> {
      try {
        const st = await stat(path);
        if (!st.isFile()) return unavailable(`state file ${path} is not a regular file`);
        if (st.size > MAX_STATE_BYTES)
          return { ok: false, code: 'state_invalid', message: 'state file too large' };
        const k = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
        if (k === key) return last;
        const text = await readFile(path, 'utf8');
        last = parseState(text);
        key = k;
        return last;
      } catch (err) {
        key = '';
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        return unavailable(`cannot read state file ${path}: ${code}`);
      }
    },
    close(): void {},
  };
}

/** Runs `command` through the shell; resolves with stdout, or an error message. Never rejects. */
function runCommand(
  command: string,
  timeoutMs: number,
  track: Set<() => void>,
): Promise<{ ok: true; stdout: string } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    const posix = process.platform !== 'win32';
    const child = spawn(command, {
      shell: true,
      detached: posix,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let errTail = '';
    let failure: string | undefined;
    const kill = () => {
      try {
        if (posix && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      failure ??= `state command timed out after ${timeoutMs} ms`;
      kill();
    }, timeoutMs);
    track.add(kill);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_STATE_BYTES) {
        failure ??= 'state command output too large';
        kill();
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errTail = (errTail + chunk.toString('utf8')).slice(-300);
    });
    const finish = (result: { ok: true; stdout: string } | { ok: false; message: string }) => {
      clearTimeout(timer);
      track.delete(kill);
      resolve(result);
    };
    child.on('error', (err) =>
      finish({ ok: false, message: `state command failed to start: ${err.message}` }),
    );
    child.on('close', (code, signal) => {
      if (failure !== undefined) finish({ ok: false, message: failure });
      else if (code !== 0) {
        const why = code === null ? `signal ${signal ?? '?'}` : `exit code ${code}`;
        finish({
          ok: false,
          message: `state command failed (${why})${errTail ? `: ${errTail.trim()}` : ''}`,
        });
      } else finish({ ok: true, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}

export function commandStateSource(
  command: string,
  options: { timeoutMs: number; refreshMs: number; now: () => number },
): StateSource {
  const running = new Set<() => void>();
  let cached: { at: number; result: StateResult } | undefined;
  let inFlight: Promise<StateResult> | undefined;
  let closed = false;
  return {
    read(): Promise<StateResult> {
      if (cached && options.now() - cached.at < options.refreshMs) return Promise.resolve(cached.result);
      if (closed) return Promise.resolve(unavailable('sidecar closed'));
      inFlight ??= runCommand(command, options.timeoutMs, running).then((r) => {
        const result = r.ok ? parseState(r.stdout) : unavailable(r.message);
        cached = { at: options.now(), result };
        inFlight = undefined;
        return result;
      });
      return inFlight;
    },
    close(): void {
      closed = true;
      for (const kill of running) kill();
    },
  };
}
