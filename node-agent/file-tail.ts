/**
 * Follows a log file for the sidecar: each sync() reads what was appended since the last one and
 * hands complete lines over. The first read (and a read after falling far behind) starts at most
 * `maxBytes` before the end; a replaced or shrunk file (rotation) is read again from its start.
 */
import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

const MAX_PENDING_CHARS = 65_536;

export class FileTail {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #onLine: (line: string) => void;
  #file = '';
  #offset = 0;
  #skipPartial = false;
  #pending = '';
  #decoder = new StringDecoder('utf8');
  #chain: Promise<void> = Promise.resolve();

  constructor(path: string, maxBytes: number, onLine: (line: string) => void) {
    this.#path = path;
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
  }

  /** Reads new lines; a missing or unreadable file is not an error (nothing new). Never rejects. */
  sync(): Promise<void> {
    this.#chain = this.#chain.then(
      () => this.#read(),
      () => this.#read(),
    );
    return this.#chain.catch(() => undefined);
  }

  #restart(offset: number): void {
    this.#offset = offset;
    this.#skipPartial = offset > 0;
    this.#pending = '';
    this.#decoder = new StringDecoder('utf8');
  }

  async #read(): Promise<void> {
    let st;
    try {
      st = await stat(this.#path);
    } catch {
      return;
    }
    const id = `${st.dev}:${st.ino}`;
    if (id !== this.#file || st.size < this.#offset) {
      this.#file = id;
      this.#restart(Math.max(0, st.size - this.#maxBytes));
    }
    if (st.size - this.#offset > this.#maxBytes) this.#restart(st.size - this.#maxBytes);
    if (st.size <= this.#offset) return;
    const length = st.size - this.#offset;
    const buf = Buffer.alloc(length);
    const fh = await open(this.#path, 'r');
    let read = 0;
    try {
      while (read < length) {
        const r = await fh.read(buf, read, length - read, this.#offset + read);
        if (r.bytesRead === 0) break;
        read += r.bytesRead;
      }
    } finally {
      await fh.close();
    }
    this.#offset += read;
    this.#consume(this.#decoder.write(buf.subarray(0, read)));
  }

  #consume(text: string): void {
    let data = this.#pending + text;
    if (this.#skipPartial) {
      const nl = data.indexOf('\n');
      if (nl < 0) {
        this.#pending = '';
        return;
      }
      data = data.slice(nl + 1);
      this.#skipPartial = false;
    }
    const lines = data.split('\n');
    this.#pending = lines.pop() ?? '';
    if (this.#pending.length > MAX_PENDING_CHARS) {
      lines.push(this.#pending);
      this.#pending = '';
    }
    for (const line of lines) if (line.trim() !== '') this.#onLine(line.replace(/\r$/, ''));
  }
}
