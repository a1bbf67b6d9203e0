/**
 * Real receivers for the channel tests, all on 127.0.0.1: an HTTP sink (node:http) that records every
 * request and answers as told, an SMTP sink (smtp-server, no TLS), and a real Prometheus Alertmanager
 * process (Debian's /usr/bin/prometheus-alertmanager). Plus alert and notification fixtures and a temp
 * SQLite database. Everything started here is stopped by t.after.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { request } from 'undici';
import type { Alert, Notification } from '../../server/alert/types.js';
import type { Clock } from '../../server/core/clock.js';
import { openDatabase } from '../../server/store/index.js';
import type { Database } from '../../server/store/index.js';

/** Anything with an `after` hook: a TestContext or a suite context. */
type Cleanup = Pick<TestContext, 'after'>;

export function tempDir(t: Cleanup, prefix = 'ringwatch-alert-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A migrated database in a temp file, closed after the test. */
export async function tempDatabase(t: Cleanup, clock: Clock): Promise<Database> {
  const db = await openDatabase(join(tempDir(t), 'ringwatch.db'), { clock });
  t.after(() => db.close());
  return db;
}

// ---------------------------------------------------------------------------------------------------
// Fixtures

export function makeAlert(over: Partial<Alert> & { labels?: Record<string, string> } = {}): Alert {
  const labels = { alertname: 'PersistentInconsistency', severity: 'warning', node: 'n1', ...over.labels };
  return {
    fingerprint: over.fingerprint ?? `fp-${labels.node}`,
    rule: 'PersistentInconsistency',
    state: 'firing',
    annotations: { summary: `successor of ${labels.node} disagrees`, dashboard: `/nodes/${labels.node}` },
    activeAt: Date.UTC(2026, 0, 1, 11, 58),
    startsAt: Date.UTC(2026, 0, 1, 12, 0),
    endsAt: null,
    silencedBy: null,
    inhibitedBy: null,
    ack: null,
    ...over,
    labels,
  };
}

export function makeNotification(over: Partial<Notification> = {}): Notification {
  return {
    groupKey: 'PersistentInconsistency',
    status: 'firing',
    alerts: [makeAlert({ labels: { node: 'n1' } }), makeAlert({ labels: { node: 'n2' } })],
    externalUrl: 'https://ringwatch.example.com',
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------------
// HTTP sink

export interface SinkRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What the sink does with the n-th request (0-based): answer a status (and body), or never answer. */
export type SinkBehaviour = (index: number, req: SinkRequest) => { status: number; body?: string } | 'hang';

export interface HttpSink {
  url: string;
  requests: SinkRequest[];
  /** Resolves when the sink has received `count` requests in total. */
  received(count: number): Promise<SinkRequest[]>;
}

export async function startHttpSink(
  t: Cleanup,
  behaviour: SinkBehaviour = () => ({ status: 200 }),
): Promise<HttpSink> {
  const requests: SinkRequest[] = [];
  const waiters: { count: number; resolve: (r: SinkRequest[]) => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: SinkRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const index = requests.length;
      requests.push(rec);
      for (const w of waiters.filter((x) => requests.length >= x.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(requests.slice());
      }
      const answer = behaviour(index, rec);
      if (answer === 'hang') return; // never answers; closed by the cleanup
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    received(count) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// SMTP sink

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  raw: string;
}

export interface SmtpSink {
  port: number;
  messages: ReceivedMail[];
  received(count: number): Promise<ReceivedMail[]>;
  /** Credentials seen by the server (only when auth is used). */
  logins: { username: string; password: string }[];
}

/** A plain-text SMTP server on 127.0.0.1 (no STARTTLS); accepts any login and every message. */
export async function startSmtpSink(t: Cleanup): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const logins: SmtpSink['logins'] = [];
  const waiters: { count: number; resolve: (m: ReceivedMail[]) => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username ?? '', password: auth.password ?? '' });
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        messages.push({
          mailFrom: from ? from.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        for (const w of waiters.filter((x) => messages.length >= x.count)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(messages.slice());
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    messages,
    logins,
    received(count) {
      if (messages.length >= count) return Promise.resolve(messages.slice());
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** A header of a raw message (unfolded), or undefined. */
export function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:\\s*(.*)$`, 'im');
  return re.exec(unfolded)?.[1]?.trim();
}

/** The decoded body of the MIME part with `contentType` (quoted-printable, base64 or 7bit). */
export function mimePart(raw: string, contentType: string): string | undefined {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const part of parts) {
    const [head = '', ...rest] = part.split(/\r?\n\r?\n/);
    if (!new RegExp(`^Content-Type:\\s*${contentType.replace('/', '\\/')}`, 'im').test(head)) continue;
    let body = rest.join('\n\n').replace(/\r?\n--[^\r\n]+--\s*$/, '');
    const encoding = /^Content-Transfer-Encoding:\s*(\S+)/im.exec(head)?.[1]?.toLowerCase();
    if (encoding === 'quoted-printable') {
      body = Buffer.from(
        body
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8');
    } else if (encoding === 'base64') {
      body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    }
    return body.replace(/\r\n/g, '\n');
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Alertmanager

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export function alertmanagerMissing(): string | false {
  return existsSync(ALERTMANAGER_BIN)
    ? false
    : `${ALERTMANAGER_BIN} is not installed (apt-get install prometheus-alertmanager); Alertmanager tests skipped`;
}

/** A loopback port that was free a moment ago (nothing listens on it now). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function isReady(url: string): Promise<boolean> {
  try {
    const res = await request(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** Starts Alertmanager with a null receiver, no clustering and temp storage; stops it after. */
export async function startAlertmanager(t: Cleanup): Promise<{ url: string }> {
  const dir = tempDir(t, 'ringwatch-am-');
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, ['route:', '  receiver: "null"', 'receivers:', '  - name: "null"', ''].join('\n'));
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const state: { exited: number | null } = { exited: null };
  const gone = new Promise<void>((resolve) =>
    proc.on('exit', (code) => {
      state.exited = code ?? -1;
      resolve();
    }),
  );
  t.after(async () => {
    if (state.exited === null) proc.kill('SIGTERM');
    await gone;
  });
  for (let i = 0; i < 200; i++) {
    if (state.exited !== null) throw new Error(`alertmanager exited with ${state.exited}: ${stderr}`);
    if (await isReady(url)) return { url };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`alertmanager at ${url} not ready after 20 s: ${stderr}`);
}
