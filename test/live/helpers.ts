/**
 * Live-stream fixtures: a hub on a real socket.io server (127.0.0.1, ephemeral port), a fake Auth that
 * accepts fixed credentials, socket.io clients that record what they receive, and a pipeline over a
 * small simulator whose events go to whichever hub is current.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import type { Auth, Credentials, Principal } from '../../server/auth/types.js';
import { systemClock, type Clock } from '../../server/core/clock.js';
import {
  createLiveHub,
  type LiveHub,
  type LiveHubOptions,
  type SubscribeAck,
} from '../../server/live/index.js';
import type { WireDelta } from '../../server/live/index.js';
import { openPipeline, type OpenPipeline } from '../../server/pipeline/open.js';
import type { CrawlSummary, PipelineEvent } from '../../server/pipeline/crawl-pipeline.js';
import { startSimulator, type Simulator } from '../../server/sim/run.js';
import { createStore, openDatabase, type Store, type Topology } from '../../server/store/index.js';
import { post } from '../sim/helpers.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Accepts Bearer tokens and session cookies (`rw_session=…`) from its sets; revoke by deleting. */
export interface FakeAuth extends Pick<Auth, 'authenticate'> {
  tokens: Set<string>;
  sessions: Set<string>;
  calls: number;
}

export function fakeAuth(tokens: string[] = ['good-token'], sessions: string[] = ['good-session']): FakeAuth {
  const auth: FakeAuth = {
    tokens: new Set(tokens),
    sessions: new Set(sessions),
    calls: 0,
    authenticate(creds: Credentials): Promise<Principal | null> {
      auth.calls++;
      const bearer = /^Bearer (.+)$/.exec(creds.authorization ?? '')?.[1];
      if (bearer !== undefined) {
        return Promise.resolve(
          auth.tokens.has(bearer)
            ? { kind: 'token', id: 1, name: bearer, role: 'viewer', userId: null }
            : null,
        );
      }
      const session = (creds.cookie ?? '')
        .split(/;\s*/)
        .find((c) => c.startsWith('rw_session='))
        ?.slice('rw_session='.length);
      if (session !== undefined && auth.sessions.has(session)) {
        return Promise.resolve({ kind: 'session', id: 2, name: 'alice', role: 'viewer', userId: 2 });
      }
      return Promise.resolve(null);
    },
  };
  return auth;
}

export interface LiveServer {
  url: string;
  io: Server;
  hub: LiveHub;
  close(): Promise<void>;
}

/** A hub on its own http + socket.io server; closed after the test (or earlier by close()). */
export async function startLive(
  t: TestContext,
  deps: { store: Store; auth: Pick<Auth, 'authenticate'>; clock?: Clock },
  options: LiveHubOptions = {},
): Promise<LiveServer> {
  const server = http.createServer();
  const io = new Server(server, { serveClient: false });
  const hub = createLiveHub(
    { io, auth: deps.auth, store: deps.store, clock: deps.clock ?? systemClock() },
    options,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      await hub.close();
      await io.close();
    })());
  t.after(close);
  return { url: `http://127.0.0.1:${port}`, io, hub, close };
}

export interface Received {
  name: string;
  payload: Record<string, unknown> & { seq: number };
}

/** A client that records every event it receives, in order. */
export interface Client {
  socket: ClientSocket;
  events: Received[];
  /** Resolves with the first recorded event (from index `from`) matching, or rejects after timeoutMs. */
  waitFor(match: (e: Received) => boolean, opts?: { from?: number; timeoutMs?: number }): Promise<Received>;
  subscribe(sinceCrawlId?: number): Promise<SubscribeAck>;
  close(): void;
}

export function client(t: TestContext, url: string, creds: { token?: string; cookie?: string } = {}): Client {
  const socket = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(creds.token !== undefined ? { auth: { token: creds.token } } : {}),
    ...(creds.cookie !== undefined ? { extraHeaders: { cookie: creds.cookie } } : {}),
  });
  const events: Received[] = [];
  const waiters = new Set<() => void>();
  socket.onAny((name: string, payload: Received['payload']) => {
    events.push({ name, payload });
    for (const w of [...waiters]) w();
  });
  t.after(() => socket.close());
  return {
    socket,
    events,
    waitFor(match, { from = 0, timeoutMs = 10_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.slice(from).find(match);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting; got ${events.map((e) => e.name).join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async subscribe(sinceCrawlId) {
      const body = sinceCrawlId === undefined ? {} : { sinceCrawlId };
      return (await socket.timeout(10_000).emitWithAck('subscribe', body)) as SubscribeAck;
    },
    close: () => socket.close(),
  };
}

/** Rejects after `ms` with what it was waiting for, so a missing event fails the test instead of hanging. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves when connected; rejects with the connect_error (its message is the refusal code). */
export function connected(c: Client, ms = 10_000): Promise<void> {
  return within(
    ms,
    'connect',
    new Promise((resolve, reject) => {
      if (c.socket.connected) return resolve();
      c.socket.once('connect', () => resolve());
      c.socket.once('connect_error', reject);
    }),
  );
}

/** Resolves with the disconnect reason. */
export function disconnected(c: Client, ms = 10_000): Promise<string> {
  return within(
    ms,
    'disconnect',
    new Promise((resolve) => c.socket.once('disconnect', (reason) => resolve(reason))),
  );
}

export interface RingFixture {
  sim: Simulator;
  open: OpenPipeline;
  /** The hub pipeline events go to; set it when a hub is (re)started. */
  target: { hub: LiveHub | null };
  crawl(): Promise<CrawlSummary>;
  inject(fault: Record<string, unknown>): Promise<{ id: string; targets: number[]; targetIds: string[] }>;
}

/** A simulator on loopback and a pipeline on a temp SQLite file whose events go to `target.hub`. */
export async function ringFixture(t: TestContext, nodes: number, seed: number): Promise<RingFixture> {
  const sim = await startSimulator({ nodes, seed, latencyMs: 5, stabilizeMs: 100, bootstrap: 'converged' });
  const dir = mkdtempSync(join(tmpdir(), 'rw-live-'));
  const target: { hub: LiveHub | null } = { hub: null };
  const open = await openPipeline(
    { db: join(dir, 'ringwatch.db'), seeds: sim.seeds, timeoutMs: 1000 },
    { clock: systemClock(), emit: (e: PipelineEvent) => target.hub?.publish(e) },
  );
  t.after(async () => {
    await open.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    sim,
    open,
    target,
    crawl: () => open.pipeline.run(),
    async inject(fault) {
      const r = await post(`${sim.control}/faults`, fault);
      if (r.status !== 201) throw new Error(`inject failed: ${r.body}`);
      return (JSON.parse(r.body) as { fault: { id: string; targets: number[]; targetIds: string[] } }).fault;
    },
  };
}

/** An empty real store in a temp file (for tests that publish synthetic events). */
export async function emptyStore(t: TestContext, clock: Clock): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-live-store-'));
  const db = await openDatabase(join(dir, 'ringwatch.db'), { clock });
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return createStore(db, clock);
}

/** Node states and edge keys of a topology, the parts a delta changes. */
export interface RingState {
  nodes: Map<string, string>;
  edges: Set<string>;
}

const edgeKey = (e: { from: string; to: string; kind: string; via?: string }) =>
  `${e.from} ${e.to} ${e.kind} ${e.via ?? ''}`;

export function stateOf(t: Topology): RingState {
  return { nodes: new Map(t.nodes.map((n) => [n.key, n.state])), edges: new Set(t.edges.map(edgeKey)) };
}

/** Apply a wire delta the way a client would; throws on a delta that does not fit the state. */
export function applyDelta(s: RingState, d: WireDelta): void {
  for (const k of d.nodes.removed) if (!s.nodes.delete(k)) throw new Error(`remove of absent node ${k}`);
  for (const n of d.nodes.added) {
    if (s.nodes.has(n.key)) throw new Error(`add of present node ${n.key}`);
    s.nodes.set(n.key, n.state);
  }
  for (const c of d.nodes.changed) {
    if (s.nodes.get(c.key) !== c.from) throw new Error(`change of ${c.key} from a state it is not in`);
    s.nodes.set(c.key, c.to);
  }
  for (const e of d.edges.removed) if (!s.edges.delete(edgeKey(e))) throw new Error('remove of absent edge');
  for (const e of d.edges.added) {
    const k = edgeKey(e);
    if (s.edges.has(k)) throw new Error('add of present edge');
    s.edges.add(k);
  }
}
