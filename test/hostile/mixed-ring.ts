/**
 * The mixed ring: N honest node agents (createAgent, each behind its own loopback port) forming a proper
 * ring in ID order, whose neighbour lists also name the hostile corpus, so the crawler discovers the
 * hostile nodes through the ring as it would in reality. Also the test oracle for the honest nodes'
 * slot findings, computed from their views and the set of live IDs.
 */
import { createAgent } from '../../node-agent/index.js';
import type { Agent, AgentView, Connection, Neighbor } from '../../node-agent/index.js';
import type { NeighborSlot } from '../../server/core/model.js';
import { startCorpus } from './corpus.js';
import type { Corpus, HostileCase } from './corpus.js';
import { httpServer } from './servers.js';
import type { Listening } from './servers.js';
import type { TestCert } from './tls.js';

/** Honest IDs: 1000…, 1400…, … (below the hostile f000… region), so ID order = index order. */
export const honestId = (i: number): string =>
  `${(0x1000 + i * 0x400).toString(16).padStart(4, '0')}${'a'.repeat(36)}`;
/** The largest honest ring these IDs allow (the hostile region starts at f000…). */
export const MAX_HONEST = 50;

export interface HonestNode {
  index: number;
  id: string;
  endpoint: string;
  agent: Agent;
  server: Listening;
  /** What the node reports (its agent's view). */
  view: AgentView;
}

export interface HonestRingOptions {
  nodes: number;
  /** Other ring members (by ID), listed by their honest neighbours in L1/L2/R1/R2 as ring order says. */
  members?: readonly Neighbor[];
  /** Extra references of honest node i: ring.right entries after R2, and connections. */
  refer?: (index: number) => { right?: Neighbor[]; connections?: Neighbor[] };
}

/** Honest agents on loopback. Contract: close() (idempotent) closes every agent and server. */
export interface HonestRing {
  honest: HonestNode[];
  close(): Promise<void>;
}

const PROCESS = { rssBytes: 50_000_000, heapUsedBytes: 20_000_000, cpuSeconds: 1, eventLoopLagMs: 1 };

function connection(n: Neighbor, kind: Connection['kind']): Connection {
  return { peerId: n.id, endpoint: n.endpoint, kind, rttMs: 1, ageSeconds: 60, bytesIn: 0, bytesOut: 0 };
}

export async function startHonestRing(o: HonestRingOptions): Promise<HonestRing> {
  if (!Number.isInteger(o.nodes) || o.nodes < 3 || o.nodes > MAX_HONEST)
    throw new Error(`startHonestRing: nodes must be 3..${MAX_HONEST}`);
  const agents: Agent[] = [];
  const servers = await Promise.all(
    Array.from({ length: o.nodes }, (_, i) => httpServer((req, res) => agents[i]!.requestListener(req, res))),
  );
  const honest: Neighbor[] = servers.map((s, i) => ({
    id: honestId(i),
    endpoint: `http://127.0.0.1:${s.port}`,
  }));
  const order = [...honest, ...(o.members ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));
  const at = (p: number): Neighbor => order[(p + order.length) % order.length]!;
  const nodes = honest.map((self, index): HonestNode => {
    const p = order.indexOf(self);
    const extra = o.refer?.(index) ?? {};
    const view: AgentView = {
      left: [at(p - 1), at(p - 2)],
      right: [at(p + 1), at(p + 2), ...(extra.right ?? [])],
      connections: [
        connection(at(p - 1), 'near'),
        connection(at(p + 1), 'near'),
        ...(extra.connections ?? []).map((n) => connection(n, 'shortcut')),
      ],
    };
    const agent = createAgent({
      nodeId: self.id,
      endpoint: self.endpoint,
      version: 'honest/1',
      view: () => view,
      processStats: () => PROCESS,
    });
    agents.push(agent);
    return { index, id: self.id, endpoint: self.endpoint, agent, server: servers[index]!, view };
  });
  let closing: Promise<void> | undefined;
  return {
    honest: nodes,
    close: () =>
      (closing ??= (async () => {
        for (const a of agents) a.close();
        await Promise.all(servers.map((s) => s.close()));
      })()),
  };
}

export interface MixedRing {
  honest: HonestNode[];
  corpus: Corpus;
  /** The crawl's seed: honest node 0 alone, so everything else is discovered through the ring. */
  seeds: string[];
  /** Honest nodes whose identity the impersonator and the replayer use. */
  impersonated: HonestNode;
  replayed: HonestNode;
  /** Which honest node lists each hostile case (the ring member: its ring neighbours). */
  referrerOf: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/**
 * Starts the corpus and an honest ring of `nodes` agents naming it: the ring member sits in the ID
 * space between honest nodes ⌊n/3⌋ and ⌊n/3⌋+1 and is listed by its four ring neighbours; every other
 * case is listed by one honest node (its `referrer`, else spread over the ring) as a connection or as
 * an extra ring.right entry, per its placement.
 */
export async function startMixedRing(o: { nodes: number; cert: TestCert }): Promise<MixedRing> {
  const n = o.nodes;
  const gap = Math.floor(n / 3);
  const ringMemberId = `${(0x1000 + gap * 0x400 + 0x200).toString(16)}${'b'.repeat(36)}`;
  const impersonatedAt = Math.floor((2 * n) / 3);
  const replayedAt = Math.floor(n / 2);
  let ring: HonestRing | undefined;
  const corpus = await startCorpus({
    cert: o.cert,
    ringMemberId,
    impersonatedId: honestId(impersonatedAt),
    replayed: () => ring!.honest[replayedAt]!.agent.status(),
  });
  const referrerOf = new Map<string, number>();
  const listed: HostileCase[][] = Array.from({ length: n }, () => []);
  corpus.cases.forEach((c, k) => {
    if (c.placement === 'ring-member') return;
    const i = c.referrer ?? (3 + k * 7) % n;
    referrerOf.set(c.name, i);
    listed[i]!.push(c);
  });
  const ref = (c: HostileCase): Neighbor => ({ id: c.id, endpoint: c.endpoint });
  try {
    const member = corpus.cases.find((c) => c.placement === 'ring-member');
    ring = await startHonestRing({
      nodes: n,
      members: member ? [ref(member)] : [],
      refer: (i) => ({
        right: listed[i]!.filter((c) => c.placement === 'ring-extra').map(ref),
        connections: listed[i]!.filter((c) => c.placement === 'connection').map(ref),
      }),
    });
  } catch (err) {
    await corpus.close();
    throw err;
  }
  const honest = ring.honest;
  const started = ring;
  return {
    honest,
    corpus,
    seeds: [honest[0]!.endpoint],
    impersonated: honest[impersonatedAt]!,
    replayed: honest[replayedAt]!,
    referrerOf,
    async close() {
      await started.close();
      await corpus.close();
    },
  };
}

export type SlotFault = 'missing_neighbor' | 'dead_neighbor' | 'wrong_neighbor';

/**
 * The oracle for one honest node: which of its four slots the analysis must flag, and how, given the
 * sorted live IDs of the crawl (the true ring order). A slot exists when the ring has enough live IDs
 * (L1/R1 from 2, L2/R2 from 3); an empty existing slot is missing, one naming a non-live ID dead, one
 * naming a live ID other than the ring order's wrong.
 */
export function expectedSlotFaults(
  self: string,
  view: AgentView,
  live: readonly string[],
): Partial<Record<NeighborSlot, SlotFault>> {
  const m = live.length;
  const p = live.indexOf(self);
  if (p < 0) throw new Error(`expectedSlotFaults: ${self} is not live`);
  const liveSet = new Set(live);
  const slots: [NeighborSlot, string | undefined, number, number][] = [
    ['L1', view.left[0]?.id, -1, 2],
    ['L2', view.left[1]?.id, -2, 3],
    ['R1', view.right[0]?.id, 1, 2],
    ['R2', view.right[1]?.id, 2, 3],
  ];
  const out: Partial<Record<NeighborSlot, SlotFault>> = {};
  for (const [slot, reported, offset, min] of slots) {
    const expected = m >= min ? live[(p + offset + m) % m] : undefined;
    if (reported === undefined) {
      if (expected !== undefined) out[slot] = 'missing_neighbor';
    } else if (!liveSet.has(reported)) out[slot] = 'dead_neighbor';
    else if (reported !== expected) out[slot] = 'wrong_neighbor';
  }
  return out;
}
