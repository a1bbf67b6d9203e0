/**
 * Typed wrappers over the generic Api (api.get / api.request) for the routes of the Nodes, Node,
 * Relays, Alerts and Admin views, and the wire shapes they answer (type-only imports of the server's
 * own types: nothing of the server is bundled). One function per route; no state.
 */
import type { Api } from '../api.js';
import type { AlertView, Page as AlertPage } from '../../../server/alert/engine.js';
import type { AlertEvent, AlertFilter } from '../../../server/alert/repo.js';
import type { Matcher, Silence, SilenceState } from '../../../server/alert/silences.js';
import type { ChannelKind, Severity } from '../../../server/alert/types.js';
import type { AuditEntry } from '../../../server/auth/audit.js';
import type { TokenInfo } from '../../../server/auth/tokens.js';
import type { LogPull, LogPullParams } from '../../../server/logs/puller.js';
import type { LogLevel, LogRecord } from '../../../node-agent/schema.js';
import type {
  NodeDetail,
  NodeSeries,
  NodeSummary,
  RelayEdge,
  RelayRank,
  RelayReport,
  SeriesMetric,
  SeriesPoint,
  StoredSignal,
} from '../../../server/store/types.js';
import type { NodeHealth, Page, Role, User } from '../types.js';

export type {
  AlertEvent,
  AlertFilter,
  AlertView,
  AuditEntry,
  ChannelKind,
  LogLevel,
  LogPull,
  LogPullParams,
  LogRecord,
  Matcher,
  NodeDetail,
  NodeSeries,
  NodeSummary,
  RelayEdge,
  RelayRank,
  RelayReport,
  SeriesMetric,
  SeriesPoint,
  Severity,
  Silence,
  SilenceState,
  StoredSignal,
  TokenInfo,
};

/** The log levels an agent knows, quietest first (the server's LogLevelSchema, restated). */
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** The largest `tail` a pull may ask for (node-agent LOG_LIMITS.maxTail) and its default. */
export const LOG_TAIL = { max: 10_000, default: 200 } as const;

/** The server's password rule for new passwords (server/auth/users.ts, restated: not bundled). */
export const PASSWORD_RULES = { minLength: 12, maxBytes: 72 } as const;

/** A channel as GET /channels lists it (never its settings). */
export interface ChannelInfo {
  name: string;
  kind: ChannelKind;
}

/** A new silence: matchers all of which must match, until endsAt. */
export interface SilenceInput {
  matchers: { name: string; value: string; isRegex?: boolean; isEqual?: boolean }[];
  startsAt?: number;
  endsAt: number;
  comment?: string;
}

export interface NewTokenInput {
  name: string;
  role: Role;
  expiresAt?: number | null;
}

const enc = encodeURIComponent;

/** Every route of these views, typed. Each call rejects with the Api's ApiError. */
export function endpoints(api: Api) {
  return {
    nodes: (
      q: {
        state?: NodeHealth | undefined;
        prefix?: string | undefined;
        limit?: number;
        cursor?: string | null;
      },
      signal?: AbortSignal,
    ) =>
      api.get<Page<NodeSummary>>(
        '/nodes',
        { state: q.state, prefix: q.prefix, limit: q.limit, cursor: q.cursor ?? undefined },
        signal,
      ),
    node: (key: string, signal?: AbortSignal) => api.get<NodeDetail>(`/nodes/${enc(key)}`, undefined, signal),
    series: (key: string, range: string, signal?: AbortSignal) =>
      api.get<NodeSeries>(`/nodes/${enc(key)}/series`, { range, maxPoints: 500 }, signal),
    logPulls: (key: string, signal?: AbortSignal) =>
      api.get<Page<LogPull>>(`/nodes/${enc(key)}/logs`, { limit: 20 }, signal),
    pullLogs: (key: string, params: { tail: number; sinceSeconds?: number; level?: LogLevel }) =>
      api.request<LogPull>('POST', `/nodes/${enc(key)}/logs`, { body: params }),
    logPull: (id: number, signal?: AbortSignal) => api.get<LogPull>(`/log-pulls/${id}`, undefined, signal),

    relays: (crawl: number | null, signal?: AbortSignal) =>
      api.get<RelayReport>('/relays', { crawl: crawl ?? undefined }, signal),

    alerts: (state: AlertFilter, q: { limit?: number; cursor?: string | null } = {}, signal?: AbortSignal) =>
      api.get<AlertPage<AlertView>>(
        '/alerts',
        { state, limit: q.limit, cursor: q.cursor ?? undefined },
        signal,
      ),
    alert: (fingerprint: string, signal?: AbortSignal) =>
      api.get<{ alert: AlertView; events: AlertEvent[] }>(`/alerts/${enc(fingerprint)}`, undefined, signal),
    ack: (fingerprint: string, comment: string) =>
      api.request<{ alert: AlertView }>('POST', `/alerts/${enc(fingerprint)}/ack`, { body: { comment } }),
    silences: (state: SilenceState | undefined, signal?: AbortSignal) =>
      api.get<Page<Silence>>('/silences', { state, limit: 100 }, signal),
    createSilence: (input: SilenceInput) =>
      api.request<{ silence: Silence }>('POST', '/silences', { body: input }),
    expireSilence: (id: number) => api.request<{ silence: Silence }>('DELETE', `/silences/${id}`),
    channels: (signal?: AbortSignal) => api.get<Page<ChannelInfo>>('/channels', { limit: 100 }, signal),
    testChannel: (name: string) =>
      api.request<{ channel: string; ok: boolean; error?: string }>('POST', `/channels/${enc(name)}/test`),

    users: (cursor: string | null, signal?: AbortSignal) =>
      api.get<Page<User>>('/users', { limit: 100, cursor: cursor ?? undefined }, signal),
    createUser: (input: { username: string; password: string; role: Role }) =>
      api.request<{ user: User }>('POST', '/users', { body: input }),
    updateUser: (id: number, patch: { role?: Role; disabled?: boolean; password?: string }) =>
      api.request<{ user: User }>('PATCH', `/users/${id}`, { body: patch }),
    deleteUser: (id: number) => api.request<void>('DELETE', `/users/${id}`),
    tokens: (cursor: string | null, signal?: AbortSignal) =>
      api.get<Page<TokenInfo>>('/tokens', { limit: 100, cursor: cursor ?? undefined }, signal),
    createToken: (input: NewTokenInput) =>
      api.request<{ token: TokenInfo; secret: string }>('POST', '/tokens', { body: input }),
    revokeToken: (id: number) => api.request<void>('DELETE', `/tokens/${id}`),
    audit: (cursor: string | null, signal?: AbortSignal) =>
      api.get<Page<AuditEntry>>('/audit', { limit: 100, cursor: cursor ?? undefined }, signal),
  };
}

export type Endpoints = ReturnType<typeof endpoints>;
