/**
 * The ring walk, as Brunet's crawl.py did it: visit a node, follow its R1 (ring.right[0]), one node
 * at a time, until back at the start, at a dead end, or at the node budget.
 */
import type { Clock } from '../core/clock.js';
import type { CrawlProgress, Visit } from '../core/model.js';
import type { StatusFetcher } from './fetcher.js';
import { PROGRESS_INTERVAL_MS, createProgressThrottle } from './progress.js';
import { createNodeRegistry, makeTarget } from './targets.js';
import type { Target } from './targets.js';

export interface RingWalkInput {
  /** Normalised start candidates, tried in order until one answers with a valid status. */
  starts: readonly Target[];
  known: ReadonlyMap<string, string>;
  maxNodes: number;
  signal?: AbortSignal;
  onProgress?: (p: CrawlProgress) => void;
}

/** Visits (in walk order), aliases met, and whether the walk was aborted. */
export interface RingWalkOutcome {
  visits: Visit[];
  aliases: { endpoint: string; nodeId: string }[];
  aborted: boolean;
  /** Why the walk ended, for the record ("closed", "dead end at …", "maxNodes"). */
  end: string;
}

/**
 * Walks the ring sequentially (one request at a time). Contract: each endpoint is visited at most once;
 * the walk from a start stops when R1 leads back to the start node (by endpoint or by an alias of it),
 * to an endpoint already visited (a loop not through the start), to a node without R1 or that did not
 * answer validly (dead end; an id_mismatch answer is still followed), or when maxNodes visits are made.
 * If the first start fails before any valid answer, the next start is tried.
 */
export async function walkRing(
  fetcher: StatusFetcher,
  clock: Clock,
  input: RingWalkInput,
): Promise<RingWalkOutcome> {
  const visits: Visit[] = [];
  const aliases: RingWalkOutcome['aliases'] = [];
  const visited = new Set<string>();
  const registry = createNodeRegistry();
  const counts = { ok: 0, failed: 0, inFlight: 0 };
  const progress = createProgressThrottle(
    clock,
    PROGRESS_INTERVAL_MS,
    () => ({ visited: visits.length + aliases.length, queued: 0, ...counts }),
    input.onProgress,
  );
  const aborted = (): boolean => input.signal?.aborted ?? false;
  let end = 'no start answered';

  const step = async (target: Target): Promise<Visit | undefined> => {
    visited.add(target.endpoint);
    counts.inFlight = 1;
    progress.poke();
    const visit = await fetcher.fetch(target.endpoint, {
      expectedId: target.expectedId,
      signal: input.signal,
    });
    counts.inFlight = 0;
    if (aborted()) return undefined;
    visits.push(visit);
    if (visit.ok) counts.ok++;
    else counts.failed++;
    progress.poke();
    return visit;
  };

  outer: for (const start of input.starts) {
    if (aborted() || visits.length >= input.maxNodes) break;
    if (visited.has(start.endpoint)) continue;
    const first = await step(start);
    if (!first?.status) continue;
    const startId = first.status.nodeId;
    if (first.ok) registry.admit(first.status);
    let current = first.status;
    for (;;) {
      const r1 = current.ring.right[0];
      if (r1 === undefined) {
        end = `dead end: ${current.nodeId} reports no R1`;
        break outer;
      }
      const next = makeTarget(r1.endpoint, input.known, r1.id);
      if (next === undefined) {
        end = `dead end: ${current.nodeId} reports an unusable R1 endpoint`;
        break outer;
      }
      if (next.endpoint === start.endpoint) {
        end = 'closed: back at the start';
        break outer;
      }
      if (visited.has(next.endpoint)) {
        end = `loop: R1 of ${current.nodeId} was already visited`;
        break outer;
      }
      if (aborted() || visits.length >= input.maxNodes) {
        end = aborted() ? 'aborted' : 'maxNodes reached';
        break outer;
      }
      const visit = await step(next);
      if (visit === undefined) break outer;
      if (!visit.status) {
        end = `dead end: ${next.endpoint} did not answer (${visit.ok ? 'ok' : visit.error})`;
        break outer;
      }
      const seen = visit.ok ? registry.admit(visit.status) : 'new'; // id_mismatch claims no identity
      if (seen === 'alias') {
        visits.pop(); // the same node by another URL: not counted twice
        counts[visit.ok ? 'ok' : 'failed']--;
        aliases.push({ endpoint: visit.endpoint, nodeId: visit.status.nodeId });
        if (visit.status.nodeId === startId) {
          end = 'closed: back at the start (alias)';
          break outer;
        }
      }
      current = visit.status;
    }
  }
  if (aborted()) end = 'aborted';
  progress.flush();
  return { visits, aliases, aborted: aborted(), end };
}
