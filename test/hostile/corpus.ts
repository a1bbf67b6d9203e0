/**
 * The hostile-node corpus: adversarial "nodes" on 127.0.0.1 (node:http, node:net and node:tls servers,
 * apart from the simulator), each a named case with the outcome the crawl pipeline must reach. The mixed
 * ring (mixed-ring.ts) makes honest agents point at them, so the crawler meets them as it would in a real
 * ring. The cases themselves are in payload-cases.ts and network-cases.ts; docs/hostile.md is their table.
 */
import type { FindingKind, VisitErrorKind } from '../../server/core/model.js';
import { createCaseBuilder } from './builder.js';
import { addAllowListCases, addIdentityCases, addTopologyCases, addTransportCases } from './network-cases.js';
import type { NetworkCaseOptions } from './network-cases.js';
import { addContentCases, addSizeCases } from './payload-cases.js';
import type { Amplifier } from './payload-cases.js';
import type { Listening } from './servers.js';

/** What the pipeline must make of a case. */
export interface Expectation {
  /** 'ok': the node answers a valid status under its own ID (it is live); else the visit's error kind. */
  visit: 'ok' | VisitErrorKind;
  httpStatus?: number;
  /** Finding kinds the analysis must report about the case's own node ID (a subset check). */
  findings?: FindingKind[];
  /** Finding kinds the case causes on the honest node whose identity it uses. */
  victimFindings?: FindingKind[];
}

export const CASE_GROUPS = ['content', 'size', 'transport', 'identity', 'topology', 'allow-list'] as const;
export type CaseGroup = (typeof CASE_GROUPS)[number];

/**
 * How the honest ring names a case: one honest node's connection, an extra entry of one honest node's
 * ring.right (R3: followed by the crawler, not one of the four checked slots), or a ring member that
 * every honest neighbour lists in L1/L2/R1/R2.
 */
export type Placement = 'connection' | 'ring-extra' | 'ring-member';

export interface HostileCase {
  name: string;
  group: CaseGroup;
  /** What the node does, in one line. */
  behaviour: string;
  /** The ID honest nodes list it under (what the crawler expects it to answer with). */
  id: string;
  endpoint: string;
  expect: Expectation;
  placement: Placement;
  /** Honest node index that lists it, when it matters (index 0 is the crawl's seed). */
  referrer?: number;
  /** The server behind the endpoint; absent when nothing listens or it must never be contacted. */
  server?: Listening;
}

export type CorpusOptions = NetworkCaseOptions;

/**
 * The running corpus. Contract: endpoints are fixed until close(); `amplifier.childHits()` counts visits
 * of the amplifier's claimed connections (each answers 404); `ghosts` are the endpoints the
 * ghost-neighbours case names, where nothing exists; `decoyHits()` counts requests that reached the
 * redirect target (a followed redirect); close() (idempotent) destroys every server and its sockets.
 */
export interface Corpus {
  readonly cases: readonly HostileCase[];
  get(name: string): HostileCase;
  amplifier: Amplifier;
  ghosts: { id: string; endpoint: string }[];
  decoyHits(): number;
  close(): Promise<void>;
}

/** Starts every case; if one fails to start, the ones already started are closed before rethrowing. */
export async function startCorpus(options: CorpusOptions): Promise<Corpus> {
  const b = createCaseBuilder();
  try {
    await addContentCases(b);
    const amplifier = await addSizeCases(b);
    const decoyHits = await addTransportCases(b, options);
    await addIdentityCases(b, options);
    const ghosts = await addTopologyCases(b);
    await addAllowListCases(b);
    const byName = new Map(b.cases.map((c) => [c.name, c]));
    let closing: Promise<void> | undefined;
    return {
      cases: b.cases,
      get(name) {
        const c = byName.get(name);
        if (!c) throw new Error(`no hostile case "${name}"`);
        return c;
      },
      amplifier,
      ghosts,
      decoyHits,
      close: () => (closing ??= b.closeAll()),
    };
  } catch (err) {
    await b.closeAll();
    throw err;
  }
}
