/**
 * The audit log: who did what and when (logins, logouts, user and token changes; the integrator adds log
 * pulls, crawl triggers …). Rows live in `audit_log`; times come from the injected clock.
 */
import type { Clock } from '../core/clock.js';
import type { SqlRunner } from '../store/db.js';
import type { Principal } from './types.js';

/** One audit row as read back. `detail` is the parsed JSON given to record(), or null. */
export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  detail: unknown;
}

/** What to record. `actor`: actorOf(principal), 'anonymous', 'system' or 'cli'; `action`: `area.verb`. */
export interface AuditInput {
  actor: string;
  action: string;
  target?: string | null;
  /** Any JSON-serialisable value (usually an object); null/undefined store NULL. */
  detail?: unknown;
}

/**
 * Contract:
 *  - record() appends one row stamped with clock.now(). As a safety net (callers must not pass secrets
 *    in the first place), keys of `detail` named like secrets (password, secret, *hash, cookie,
 *    authorization; at any depth) are dropped and strings shaped like API tokens are redacted.
 *  - list() answers newest first (by id), at most `limit` (1..1000, default 100) rows with id < `before`
 *    when given; `nextBefore` is the id to pass as `before` for the next page, or null when no older
 *    rows remain.
 */
export interface Audit {
  record(entry: AuditInput): Promise<void>;
  list(query?: {
    limit?: number;
    before?: number;
  }): Promise<{ items: AuditEntry[]; nextBefore: number | null }>;
}

const SECRET_KEY = /^(pass|passwd|password|secret|.*hash|cookie|set-cookie|authorization)$/i;
const TOKEN_LIKE = /rw_[A-Za-z0-9_-]{20,}/g;

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(TOKEN_LIKE, 'rw_[redacted]');
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SECRET_KEY.test(k)) out[k] = scrub(v, depth + 1);
  return out;
}

/** 'user:NAME' for a session, 'token:NAME' for an API token. */
export function actorOf(principal: Principal): string {
  return `${principal.kind === 'session' ? 'user' : 'token'}:${principal.name}`;
}

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

function parseDetail(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function createAudit(db: SqlRunner, clock: Clock): Audit {
  return {
    async record({ actor, action, target, detail }) {
      await db.run('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)', [
        clock.now(),
        actor,
        action,
        target ?? null,
        detail == null ? null : JSON.stringify(scrub(detail)),
      ]);
    },
    async list({ limit = 100, before } = {}) {
      const n = Math.min(1000, Math.max(1, Math.trunc(limit)));
      const rows = await db.all<AuditRow>(
        'SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?',
        [before ?? Number.MAX_SAFE_INTEGER, n + 1],
      );
      const more = rows.length > n;
      const items = rows.slice(0, n).map((r) => ({ ...r, detail: parseDetail(r.detail) }));
      return { items, nextBefore: more ? items[items.length - 1]!.id : null };
    },
  };
}
