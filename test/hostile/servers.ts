/**
 * Loopback server primitives for the hostile corpus: plain HTTP, raw TCP and TLS listeners on 127.0.0.1
 * (ephemeral ports), each counting what it did, plus writers that stream big bodies with backpressure
 * (nothing is allocated up front) or drip bytes forever.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Writable } from 'node:stream';

/** What a server saw and did; `bytesWritten` counts bytes handed to its sockets (not all were read). */
export interface ServerStats {
  connections: number;
  requests: number;
  bytesWritten: number;
}

/**
 * A listening server. Contract: `port` is bound on 127.0.0.1 until close(); close() (idempotent) stops
 * accepting, destroys every open socket (which also stops drips and streams) and resolves when closed.
 */
export interface Listening {
  readonly port: number;
  readonly stats: ServerStats;
  close(): Promise<void>;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, stats: ServerStats) => void;

const newStats = (): ServerStats => ({ connections: 0, requests: 0, bytesWritten: 0 });

async function listening(server: net.Server, stats: ServerStats): Promise<Listening> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    stats.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };
  server.on('connection', track); // the TCP socket, also under TLS (a failed handshake is closed too)
  if (server instanceof https.Server) server.on('tlsClientError', () => undefined);
  if (server instanceof http.Server) server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    stats,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** An HTTP/1.1 server whose every request goes to `handler`. */
export function httpServer(handler: HttpHandler): Promise<Listening> {
  const stats = newStats();
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 0 }, (req, res) => {
    stats.requests++;
    handler(req, res, stats);
  });
  return listening(server, stats);
}

/** An HTTPS server with the given (self-signed) certificate. */
export function tlsServer(cert: { key: string; cert: string }, handler: HttpHandler): Promise<Listening> {
  const stats = newStats();
  const server = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    stats.requests++;
    handler(req, res, stats);
  });
  return listening(server, stats);
}

/**
 * A raw TCP server. `onConnect` runs as soon as a connection is accepted (return true to take over:
 * no request is read); otherwise `onRequest` runs once the request head (up to the blank line) arrived.
 */
export function rawServer(
  onRequest: (socket: Socket, stats: ServerStats) => void,
  onConnect?: (socket: Socket, stats: ServerStats) => boolean,
): Promise<Listening> {
  const stats = newStats();
  const server = net.createServer((socket) => {
    if (onConnect?.(socket, stats)) return;
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) {
        if (head.length > 65_536) socket.destroy();
        return;
      }
      socket.off('data', onData);
      stats.requests++;
      onRequest(socket, stats);
    };
    socket.on('data', onData);
  });
  return listening(server, stats);
}

/**
 * Writes `pieces` to `sink` one at a time, waiting for 'drain' whenever the sink is full, and ends it.
 * Stops (without ending) as soon as the sink is destroyed: a 100 MB body costs one piece of memory.
 */
export async function streamOut(
  sink: Writable,
  pieces: Iterable<string | Buffer>,
  stats: ServerStats,
): Promise<void> {
  for (const piece of pieces) {
    if (sink.destroyed || sink.writableEnded) return;
    stats.bytesWritten += Buffer.byteLength(piece);
    if (sink.write(piece)) continue;
    const more = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => (): void => {
        sink.off('drain', onDrain);
        sink.off('close', onClose);
        resolve(ok);
      };
      const onDrain = done(true);
      const onClose = done(false);
      sink.on('drain', onDrain);
      sink.on('close', onClose);
    });
    if (!more) return;
  }
  if (!sink.destroyed) sink.end();
}

/** Writes `piece` every `everyMs` until the sink is destroyed: a body (or head) that never ends. */
export function drip(sink: Writable, piece: string, everyMs: number, stats: ServerStats): void {
  const timer = setInterval(() => {
    if (sink.destroyed) {
      clearInterval(timer);
      return;
    }
    stats.bytesWritten += Buffer.byteLength(piece);
    sink.write(piece);
  }, everyMs);
  sink.once('close', () => clearInterval(timer));
}

/** `count` copies of `chunk` (one shared buffer: nothing is allocated per piece). */
export function* repeat(chunk: Buffer, count: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) yield chunk;
}

/** Answers with a JSON body (or any text) and the given content type. */
export function sendBody(res: ServerResponse, body: unknown, status = 200, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
