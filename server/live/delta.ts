/**
 * Deltas on the wire: the store's CrawlDelta reshaped, and a combined delta computed from two retained
 * topologies when a client is too far behind for a replay. Pure functions.
 */
import type { CrawlDelta, Topology, TopologyEdge } from '../store/index.js';
import type { WireDelta } from './types.js';

/** The wire form of one crawl's delta. */
export function toWireDelta(d: CrawlDelta): WireDelta {
  return {
    fromCrawlId: d.previousCrawlId,
    toCrawlId: d.crawlId,
    nodes: { added: d.nodesAdded, removed: d.nodesRemoved, changed: d.nodesChanged },
    edges: { added: d.edgesAdded, removed: d.edgesRemoved },
    findings: { opened: d.findingsOpened, closed: d.findingsClosed },
  };
}

/** Identity of an edge: an edge whose relay changes is one removed and one added, as the store does. */
const edgeKey = (e: TopologyEdge) => `${e.from}\u0000${e.to}\u0000${e.kind}\u0000${e.via ?? ''}`;

/**
 * What turns topology `from` into topology `to`: nodes present only in `to` are added, only in `from`
 * removed, in both with another state changed; edges likewise by (from, to, kind, via). Without findings.
 */
export function diffTopologies(from: Topology, to: Topology): WireDelta {
  const before = new Map(from.nodes.map((n) => [n.key, n]));
  const after = new Set<string>();
  const delta: WireDelta = {
    fromCrawlId: from.crawl.id,
    toCrawlId: to.crawl.id,
    nodes: { added: [], removed: [], changed: [] },
    edges: { added: [], removed: [] },
  };
  for (const n of to.nodes) {
    after.add(n.key);
    const old = before.get(n.key);
    if (!old) delta.nodes.added.push(n);
    else if (old.state !== n.state) delta.nodes.changed.push({ key: n.key, from: old.state, to: n.state });
  }
  for (const n of from.nodes) if (!after.has(n.key)) delta.nodes.removed.push(n.key);
  const edgesBefore = new Set(from.edges.map(edgeKey));
  const edgesAfter = new Set<string>();
  for (const e of to.edges) {
    const k = edgeKey(e);
    edgesAfter.add(k);
    if (!edgesBefore.has(k)) delta.edges.added.push(e);
  }
  for (const e of from.edges) if (!edgesAfter.has(edgeKey(e))) delta.edges.removed.push(e);
  return delta;
}

/** Number of entries (nodes and edges) a delta carries. */
export function deltaSize(d: WireDelta): number {
  return (
    d.nodes.added.length +
    d.nodes.removed.length +
    d.nodes.changed.length +
    d.edges.added.length +
    d.edges.removed.length
  );
}
