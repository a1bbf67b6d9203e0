/**
 * Store test fixtures: temp database files, and a small deterministic ring simulator that produces
 * CrawlResult + RingAnalysis (with valid Status documents) together with the topology a crawl should
 * reproduce, computed from the simulator's own state (an oracle independent of the store's code).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Status } from '../../node-agent/schema.js';
import type { ManualClock } from '../../server/core/clock.js';
import { manualClock } from '../../server/core/clock.js';
import type {
  CrawlResult,
  Finding,
  NeighborSlot,
  NodeAssessment,
  RingAnalysis,
  Visit,
} from '../../server/core/model.js';
import { createStore, openDatabase } from '../../server/store/index.js';
import type { Database, OpenOptions, Store } from '../../server/store/index.js';

/** A fresh directory under the OS temp dir, removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ringwatch-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Fixture {
  file: string;
  db: Database;
  store: Store;
  clock: ManualClock;
}

/** A database in a temp file with a store on a manual clock; closed after the test. */
export async function openFixture(t: TestContext, options: OpenOptions = {}): Promise<Fixture> {
  const clock = manualClock();
  const file = join(tempDir(t), 'ringwatch.db');
  const db = await openDatabase(file, { clock, ...options });
  t.after(() => db.close());
  return { file, db, store: await createStore(db, clock), clock };
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimNode {
  id: string;
  endpoint: string;
  version: string;
  startedAt: number;
  up: boolean;
  /** Slot values that replace the true ring neighbour; null drops L2/R2. */
  override: Partial<Record<NeighborSlot, string | null>>;
  shortcuts: string[];
  relays: { peer: string; via: string }[];
  cpuMs: number;
  bytesIn: number;
  bytesOut: number;
  packets: number;
  rss: number;
  queue: number;
  stalled: boolean;
}

export interface SimRing {
  nodes: Map<string, SimNode>;
  /** Endpoints that are visited but never identified (unreachable, no known ID). */
  ghosts: Set<string>;
  rand: () => number;
  serial: number;
}

export function simRing(n: number, seed = 1): SimRing {
  const ring: SimRing = { nodes: new Map(), ghosts: new Set(), rand: rng(seed), serial: 0 };
  for (let i = 0; i < n; i++) addNode(ring);
  return ring;
}

export function addNode(ring: SimRing): SimNode {
  const hex = () =>
    Math.floor(ring.rand() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  const id = Array.from({ length: 5 }, hex).join('');
  const k = ring.serial++;
  const node: SimNode = {
    id,
    endpoint: `http://10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}:7000`,
    version: '1.0.0',
    startedAt: Date.UTC(2025, 11, 31) + k * 1000,
    up: true,
    override: {},
    shortcuts: [],
    relays: [],
    cpuMs: 1000 + k,
    bytesIn: 1e6 + k,
    bytesOut: 2e6 + k,
    packets: 1000,
    rss: 60e6 + k * 16,
    queue: 0,
    stalled: false,
  };
  ring.nodes.set(id, node);
  return node;
}

/** Counters move on between crawls (the "unchanged ring" still has changing numbers). */
export function tickCounters(ring: SimRing, dtMs = 60_000): void {
  for (const n of ring.nodes.values()) {
    n.cpuMs += Math.round(dtMs / 60);
    n.bytesIn += 120 * dtMs;
    n.bytesOut += 80 * dtMs;
    n.packets += dtMs / 10;
    n.rss += 4096;
  }
}

export interface Expected {
  nodes: { key: string; nodeId: string | null; endpoint: string; state: string; score: number | null }[];
  /** `${from}|${kind}|${to}|${via}` per edge, sorted. */
  edges: string[];
}

export interface SimCrawl {
  result: CrawlResult;
  analysis: RingAnalysis;
  expected: Expected;
}

const iso = (ms: number) => new Date(ms).toISOString();
const MIRROR: Record<NeighborSlot, NeighborSlot> = { L1: 'R1', R1: 'L1', L2: 'R2', R2: 'L2' };

function reportedSlots(ring: SimRing, order: string[]): Map<string, Partial<Record<NeighborSlot, string>>> {
  const out = new Map<string, Partial<Record<NeighborSlot, string>>>();
  const n = order.length;
  order.forEach((id, i) => {
    const at = (d: number) => order[(((i + d) % n) + n) % n]!;
    const truth: Partial<Record<NeighborSlot, string>> = {};
    if (n > 1) Object.assign(truth, { L1: at(-1), R1: at(1) });
    if (n > 2) Object.assign(truth, { L2: at(-2), R2: at(2) });
    const node = ring.nodes.get(id)!;
    const rep: Partial<Record<NeighborSlot, string>> = { ...truth };
    for (const [slot, v] of Object.entries(node.override) as [NeighborSlot, string | null][]) {
      if (v === null) delete rep[slot];
      else if (truth[slot] !== undefined) rep[slot] = v;
    }
    if (rep.L1 === undefined) delete rep.L2;
    if (rep.R1 === undefined) delete rep.R2;
    out.set(id, rep);
  });
  return out;
}

/** One crawl of the simulated ring at `startedAt`. */
export function crawlOf(ring: SimRing, startedAt: number): SimCrawl {
  const all = [...ring.nodes.values()];
  const order = all
    .filter((n) => n.up)
    .map((n) => n.id)
    .sort();
  const rep = reportedSlots(ring, order);
  const visits: Visit[] = [];
  const nodes: NodeAssessment[] = [];
  const findings: Finding[] = [];
  const expected: Expected = { nodes: [], edges: [] };
  const ep = (id: string) => ring.nodes.get(id)?.endpoint ?? 'http://192.0.2.1:7000';
  all.forEach((n, i) => {
    const visitStart = startedAt + (i % 500);
    if (!n.up) {
      visits.push({
        endpoint: n.endpoint,
        expectedId: n.id,
        startedAt: visitStart,
        durationMs: 3,
        attempts: 2,
        ok: false,
        error: 'refused',
        detail: 'connect ECONNREFUSED',
      });
      nodes.push({
        nodeId: n.id,
        endpoint: n.endpoint,
        reachable: false,
        state: 'unreachable',
        score: null,
        checks: {},
        reported: {},
        expected: {},
      });
      expected.nodes.push({
        key: n.id,
        nodeId: n.id,
        endpoint: n.endpoint,
        state: 'unreachable',
        score: null,
      });
      return;
    }
    const r = rep.get(n.id)!;
    const conns: Status['connections'] = [];
    const peers = new Set<string>();
    const conn = (peerId: string, kind: 'near' | 'shortcut' | 'relay', via?: string) => {
      if (peers.has(peerId) || peerId === n.id || !ring.nodes.has(peerId)) return;
      peers.add(peerId);
      const c: Status['connections'][number] = {
        peerId,
        endpoint: ep(peerId),
        kind,
        rttMs: 20,
        ageSeconds: 60,
        bytesIn: 10,
        bytesOut: 20,
      };
      if (via) c.via = via;
      conns.push(c);
      expected.edges.push(`${n.id}|${kind}|${peerId}|${via ?? ''}`);
    };
    for (const s of ['L1', 'L2', 'R1', 'R2'] as const) if (r[s]) conn(r[s], 'near');
    for (const s of n.shortcuts) conn(s, 'shortcut');
    for (const x of n.relays) conn(x.peer, 'relay', x.via);
    for (const [s, v] of Object.entries(r)) expected.edges.push(`${n.id}|${s}|${v}|`);
    const status: Status = {
      schema: 1,
      nodeId: n.id,
      endpoint: n.endpoint,
      version: n.version,
      startedAt: iso(n.startedAt),
      now: iso(visitStart),
      ring: {
        left: [r.L1, r.L2].filter((x): x is string => !!x).map((id) => ({ id, endpoint: ep(id) })),
        right: [r.R1, r.R2].filter((x): x is string => !!x).map((id) => ({ id, endpoint: ep(id) })),
      },
      connections: conns,
      traffic: { bytesIn: n.bytesIn, bytesOut: n.bytesOut, packetsIn: n.packets, packetsOut: n.packets },
      process: {
        rssBytes: n.rss,
        heapUsedBytes: Math.round(n.rss / 2),
        cpuSeconds: n.cpuMs / 1000,
        eventLoopLagMs: 2,
      },
      queue: { depth: n.queue },
      threads: ['main', 'router', 'dht'].map((name, t) => ({
        name,
        state: n.stalled && t === 1 ? ('stalled' as const) : ('running' as const),
        lastBeatAt: iso(visitStart),
        deadlineMs: 5000,
      })),
    };
    visits.push({
      endpoint: n.endpoint,
      expectedId: n.id,
      startedAt: visitStart,
      durationMs: 12,
      attempts: 1,
      ok: true,
      status,
    });
    const checks: NodeAssessment['checks'] = {};
    for (const [s, y] of Object.entries(r) as [NeighborSlot, string][]) {
      checks[s] = rep.get(y)?.[MIRROR[s]] === n.id;
      if (!checks[s]) {
        const kind = ring.nodes.get(y)?.up ? 'asymmetric' : 'dead_neighbor';
        findings.push({
          kind,
          nodeId: n.id,
          slot: s,
          reported: y,
          expected: n.id,
          detail: `${s} ${y.slice(0, 8)} does not point back`,
        });
      }
    }
    const score = Object.values(checks).filter(Boolean).length / 4;
    const state = score === 1 ? 'ok' : 'inconsistent';
    nodes.push({
      nodeId: n.id,
      endpoint: n.endpoint,
      reachable: true,
      state,
      score,
      checks,
      reported: r,
      expected: {},
      ring: 0,
    });
    expected.nodes.push({ key: n.id, nodeId: n.id, endpoint: n.endpoint, state, score });
  });
  for (const g of ring.ghosts) {
    visits.push({
      endpoint: g,
      startedAt,
      durationMs: 5000,
      attempts: 3,
      ok: false,
      error: 'timeout',
      detail: 'no answer in 5000 ms',
    });
    nodes.push({
      nodeId: '',
      endpoint: g,
      reachable: false,
      state: 'unreachable',
      score: null,
      checks: {},
      reported: {},
      expected: {},
    });
    expected.nodes.push({ key: g, nodeId: null, endpoint: g, state: 'unreachable', score: null });
  }
  const reachable = nodes.filter((a) => a.reachable);
  const analysis: RingAnalysis = {
    nodes,
    findings,
    consistency: reachable.length ? reachable.reduce((s, a) => s + (a.score ?? 0), 0) / reachable.length : 1,
    rings: reachable.length ? 1 : 0,
    mainRingSize: reachable.length,
    offRing: [],
    duplicateIds: [],
  };
  expected.nodes.sort((a, b) => (a.key < b.key ? -1 : 1));
  expected.edges.sort();
  const result: CrawlResult = {
    strategy: 'parallel',
    state: 'succeeded',
    startedAt,
    finishedAt: startedAt + 1500,
    seeds: [all[0]?.endpoint ?? 'http://192.0.2.1:7000'],
    visits,
  };
  return { result, analysis, expected };
}

/** begin + record one simulated crawl at the clock's now. */
export async function recordSim(store: Store, clock: ManualClock, ring: SimRing) {
  const id = await store.beginCrawl({ strategy: 'parallel' });
  const sim = crawlOf(ring, clock.now());
  const delta = await store.recordCrawl(id, sim.result, sim.analysis);
  return { id, sim, delta };
}

export const edgeString = (e: { from: string; to: string; kind: string; via?: string }) =>
  `${e.from}|${e.kind}|${e.to}|${e.via ?? ''}`;
