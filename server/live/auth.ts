/**
 * Authentication of live sockets: in the handshake (io.use) and again on a timer, so a revoked token or
 * a logged-out session does not keep receiving events on an open connection.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { Auth, Credentials, Principal } from '../auth/types.js';
import type { Clock, TimerHandle } from '../core/clock.js';

/** The error a refused connection gets (the client's connect_error); message is the error code. */
export class LiveAuthError extends Error {
  readonly data: { code: 'unauthenticated' | 'unavailable' };
  constructor(code: 'unauthenticated' | 'unavailable') {
    super(code);
    this.name = 'LiveAuthError';
    this.data = { code };
  }
}

/** Credentials of a handshake: its cookie header (browser session) and `auth.token` (API token). */
export function credentialsOf(handshake: { headers: IncomingHttpHeaders; auth: unknown }): Credentials {
  const creds: Credentials = {};
  const cookie = handshake.headers.cookie;
  if (typeof cookie === 'string' && cookie.length > 0) creds.cookie = cookie;
  const auth = handshake.auth as { token?: unknown } | null | undefined;
  if (typeof auth?.token === 'string' && auth.token.length > 0) creds.authorization = `Bearer ${auth.token}`;
  return creds;
}

/**
 * Contract: installs one io.use middleware on the main namespace that admits a socket only when
 * authenticate() gives a principal (refused: LiveAuthError 'unauthenticated'; authenticate throwing or
 * the guard closed: 'unavailable'). Every recheckMs it authenticates the admitted, still connected
 * sockets again (once per distinct credentials) and disconnects those that got null. A failing
 * recheck (authenticate throwing) keeps the sockets. close() stops the timer; later handshakes are
 * refused (the middleware cannot be removed from `io`: one guard per io server for its lifetime).
 */
export interface SocketAuthGuard {
  principalOf(socket: Socket): Principal | undefined;
  /** Admitted sockets still connected. */
  clients(): number;
  /** Runs one recheck now (the timer calls it too); resolves when it is done. */
  recheck(): Promise<void>;
  close(): void;
}

export function installSocketAuth(
  deps: {
    io: Server;
    auth: Pick<Auth, 'authenticate'>;
    clock: Clock;
    logger?: Pick<Logger, 'warn' | 'debug'> | undefined;
  },
  recheckMs: number,
): SocketAuthGuard {
  const admitted = new Map<Socket, { creds: Credentials; principal: Principal }>();
  let closed = false;
  let timer: TimerHandle | null = null;
  let running: Promise<void> | null = null;

  deps.io.use((socket, next) => {
    if (closed) return next(new LiveAuthError('unavailable'));
    const creds = credentialsOf(socket.handshake);
    deps.auth.authenticate(creds).then(
      (principal) => {
        if (!principal) return next(new LiveAuthError('unauthenticated'));
        if (closed) return next(new LiveAuthError('unavailable'));
        admitted.set(socket, { creds, principal });
        socket.once('disconnect', () => admitted.delete(socket));
        next();
      },
      (err: unknown) => {
        deps.logger?.warn({ err }, 'live: authenticate failed');
        next(new LiveAuthError('unavailable'));
      },
    );
  });

  async function recheckOnce(): Promise<void> {
    const byCreds = new Map<string, { creds: Credentials; sockets: Socket[] }>();
    for (const [socket, a] of admitted) {
      if (!socket.connected) {
        admitted.delete(socket);
        continue;
      }
      const key = `${a.creds.authorization ?? ''}\u0000${a.creds.cookie ?? ''}`;
      const group = byCreds.get(key) ?? { creds: a.creds, sockets: [] };
      group.sockets.push(socket);
      byCreds.set(key, group);
    }
    await Promise.all(
      [...byCreds.values()].map(async ({ creds, sockets }) => {
        let principal: Principal | null;
        try {
          principal = await deps.auth.authenticate(creds);
        } catch (err) {
          deps.logger?.warn({ err }, 'live: credential recheck failed; keeping the sockets');
          return;
        }
        for (const socket of sockets) {
          if (principal) {
            const a = admitted.get(socket);
            if (a) a.principal = principal;
            continue;
          }
          deps.logger?.debug({ socket: socket.id }, 'live: credentials no longer valid, disconnecting');
          admitted.delete(socket);
          socket.disconnect(true);
        }
      }),
    );
  }

  function recheck(): Promise<void> {
    running ??= recheckOnce().finally(() => (running = null));
    return running;
  }

  function schedule() {
    if (closed) return;
    timer = deps.clock.setTimeout(() => {
      timer = null;
      recheck().then(schedule, schedule);
    }, recheckMs);
  }
  schedule();

  return {
    principalOf: (socket) => admitted.get(socket)?.principal,
    clients: () => [...admitted.keys()].filter((s) => s.connected).length,
    recheck,
    close() {
      closed = true;
      if (timer) deps.clock.clearTimeout(timer);
      timer = null;
      admitted.clear();
    },
  };
}
