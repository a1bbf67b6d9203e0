/**
 * Catch-up from the store, for a subscriber the replay buffer cannot serve (hub restarted, or the client
 * was away for more crawls than the buffer holds): one combined delta when both crawls' topologies are
 * retained, else a reset (the client reloads the topology over REST).
 */
import type { Store } from '../store/index.js';
import { diffTopologies } from './delta.js';
import type { WireDelta } from './types.js';

export type StoreCatchUp =
  | { mode: 'delta'; latestCrawlId: number; delta: WireDelta }
  | { mode: 'reset'; latestCrawlId: number | null };

/**
 * Contract: without `since`, or when `since` is not a recorded crawl with retained raw data, or is
 * newer than the latest recorded crawl: reset. Otherwise the delta from `since` to the latest recorded
 * crawl (empty when they are the same). Rejects only when the store does.
 */
export async function catchUpFromStore(
  store: Pick<Store, 'latestCrawl' | 'topologyAt' | 'getCrawl'>,
  since: number | undefined,
): Promise<StoreCatchUp> {
  const latest = await store.latestCrawl();
  const latestCrawlId = latest?.id ?? null;
  if (since === undefined || !latest || since > latest.id) return { mode: 'reset', latestCrawlId };
  if (since === latest.id) {
    const delta: WireDelta = {
      fromCrawlId: since,
      toCrawlId: since,
      nodes: { added: [], removed: [], changed: [] },
      edges: { added: [], removed: [] },
    };
    return { mode: 'delta', latestCrawlId: latest.id, delta };
  }
  const sinceCrawl = await store.getCrawl(since);
  if (!sinceCrawl || sinceCrawl.data !== 'raw') return { mode: 'reset', latestCrawlId };
  const [from, to] = await Promise.all([store.topologyAt(since), store.topologyAt(latest.id)]);
  if (!from || !to) return { mode: 'reset', latestCrawlId };
  return { mode: 'delta', latestCrawlId: latest.id, delta: diffTopologies(from, to) };
}
