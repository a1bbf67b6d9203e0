/**
 * The wire shapes the dashboard reads, taken from the server's own types (type-only imports: nothing
 * of the server is bundled), plus the few response envelopes the routers build inline.
 */
import type { ApiErrorCode } from '../../server/http/errors.js';
import type { Role, Principal } from '../../server/auth/types.js';
import type { User } from '../../server/auth/users.js';
import type { CrawlNodeState, CrawlStrategy, FindingKind, NodeHealth } from '../../server/core/model.js';
import type {
  CrawlRecord,
  EdgeKind,
  StoredFinding,
  TopologyEdge,
  TopologyNode,
} from '../../server/store/types.js';
import type { CrawlSummary } from '../../server/pipeline/crawl-pipeline.js';
import type { RunningCrawl } from '../../server/pipeline/control.js';
import type { CatchUpMode, LiveEventMap, SubscribeAck, WireDelta } from '../../server/live/types.js';

export type {
  ApiErrorCode,
  CatchUpMode,
  CrawlNodeState,
  CrawlRecord,
  CrawlStrategy,
  CrawlSummary,
  EdgeKind,
  FindingKind,
  LiveEventMap,
  NodeHealth,
  Principal,
  Role,
  RunningCrawl,
  StoredFinding,
  SubscribeAck,
  TopologyEdge,
  TopologyNode,
  User,
  WireDelta,
};

/** Every health a node can show, strongest signal last (the server's order). */
export const HEALTHS: readonly NodeHealth[] = [
  'ok',
  'inconsistent',
  'persistent',
  'stalled',
  'unreachable',
  'lost',
];

/** Every edge kind, ring slots first. */
export const EDGE_KINDS: readonly EdgeKind[] = ['L1', 'R1', 'L2', 'R2', 'near', 'shortcut', 'relay', 'leaf'];

/** GET /auth/me */
export interface Me {
  principal: Principal;
  user: User | null;
}

/** A page of a list endpoint. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** GET /summary */
export interface Summary {
  nodes: number;
  known: number;
  reachable: number;
  unreachable: number;
  consistency: number | null;
  rings: number;
  mainRingSize: number;
  findings: Partial<Record<FindingKind, number>>;
  lastCrawl: {
    id: number;
    state: string;
    startedAt: number;
    finishedAt: number | null;
    durationMs: number | null;
  } | null;
  latestAttempt: { id: number; state: string; startedAt: number; reason: string | null } | null;
  running: RunningCrawl | null;
  firingAlerts: number;
}

/** A topology node as GET /crawls/:id/topology returns it: position on the ring and health. */
export interface WireTopologyNode extends TopologyNode {
  /** ID / 2^160 in [0, 1); null for nodes known only by endpoint. */
  position: number | null;
  health: NodeHealth;
}

/** GET /crawls/:id/topology */
export interface WireTopology {
  crawl: CrawlRecord;
  nodes: WireTopologyNode[];
  edges: TopologyEdge[];
}

/** The selectable chart ranges and their length. */
export const RANGES = {
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
} as const;
export type RangeKey = keyof typeof RANGES;
export const isRange = (s: string | undefined): s is RangeKey => s !== undefined && s in RANGES;
