/**
 * SQLite persistence of the alert engine (tables of migrations/006_alerts.sql): alert episodes, their
 * events and silences. Plain reads and writes; the engine decides, this file only stores. Callers run
 * writes inside db.transaction() when several must land together.
 */
import type { Database } from '../store/db.js';
import type { Matcher, Silence } from './silences.js';
import { silenceState } from './silences.js';
import type { Alert, AlertState, RuleName } from './types.js';

/** An alert as the engine keeps it: the shared Alert plus what the lifecycle needs. */
export interface AlertRecord extends Alert {
  /** Row id of this episode (cursor of lists). */
  id: number;
  value: number | null;
  detail: string;
  crawlId: number | null;
  /** A firing notification was sent for this episode (so its resolve is sent too). */
  firedNotified: boolean;
  lastNotifiedAt: number | null;
}

/** What happened to an alert, in its event history (closed). */
export const ALERT_EVENT_TYPES = [
  'pending',
  'firing',
  'resolved',
  'notified', // firing notification sent
  'reminded', // repeat notification sent
  'resolved_notified',
  'silenced',
  'unsilenced',
  'inhibited',
  'uninhibited',
  'acked',
] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

export interface AlertEvent {
  id: number;
  alertId: number;
  fingerprint: string;
  at: number;
  type: AlertEventType;
  detail: string;
}

/** Which alerts a list shows: a state, `active` (pending or firing), `silenced` (active and silenced), all. */
export const ALERT_FILTERS = ['pending', 'firing', 'resolved', 'silenced', 'active', 'all'] as const;
export type AlertFilter = (typeof ALERT_FILTERS)[number];

export interface AlertQuery {
  state: AlertFilter;
  rule?: RuleName;
  node?: string;
  limit: number;
  /** Only rows with id below this (the previous page's last id). */
  before?: number;
}

interface AlertRow {
  id: number;
  fingerprint: string;
  rule: string;
  state: string;
  labels: string;
  annotations: string;
  value: number | null;
  detail: string;
  crawl_id: number | null;
  active_at: number;
  starts_at: number | null;
  ends_at: number | null;
  fired_notified: number;
  last_notified_at: number | null;
  silenced_by: number | null;
  inhibited_by: string | null;
  ack_by: string | null;
  ack_at: number | null;
  ack_comment: string | null;
}

function fromRow(r: AlertRow): AlertRecord {
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    rule: r.rule as RuleName,
    state: r.state as AlertState,
    labels: JSON.parse(r.labels) as Record<string, string>,
    annotations: JSON.parse(r.annotations) as Record<string, string>,
    value: r.value,
    detail: r.detail,
    crawlId: r.crawl_id,
    activeAt: r.active_at,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    firedNotified: r.fired_notified === 1,
    lastNotifiedAt: r.last_notified_at,
    silencedBy: r.silenced_by,
    inhibitedBy: r.inhibited_by,
    ack: r.ack_by !== null ? { by: r.ack_by, at: r.ack_at ?? 0, comment: r.ack_comment ?? '' } : null,
  };
}

function params(a: AlertRecord) {
  return {
    $fingerprint: a.fingerprint,
    $rule: a.rule,
    $state: a.state,
    $labels: JSON.stringify(a.labels),
    $annotations: JSON.stringify(a.annotations),
    $value: a.value !== null && Number.isFinite(a.value) ? a.value : null,
    $detail: a.detail,
    $crawl_id: a.crawlId,
    $active_at: a.activeAt,
    $starts_at: a.startsAt,
    $ends_at: a.endsAt,
    $fired_notified: a.firedNotified ? 1 : 0,
    $last_notified_at: a.lastNotifiedAt,
    $silenced_by: a.silencedBy,
    $inhibited_by: a.inhibitedBy,
    $ack_by: a.ack?.by ?? null,
    $ack_at: a.ack?.at ?? null,
    $ack_comment: a.ack?.comment ?? null,
  };
}

const COLUMNS =
  'fingerprint, rule, state, labels, annotations, value, detail, crawl_id, active_at, starts_at, ends_at, ' +
  'fired_notified, last_notified_at, silenced_by, inhibited_by, ack_by, ack_at, ack_comment';
const VALUES = COLUMNS.split(', ')
  .map((c) => `$${c}`)
  .join(', ');
const SETS = COLUMNS.split(', ')
  .map((c) => `${c} = $${c}`)
  .join(', ');

interface SilenceRow {
  id: number;
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
  expired_at: number | null;
}

function silenceFromRow(r: SilenceRow, now: number): Silence {
  const s = {
    id: r.id,
    matchers: JSON.parse(r.matchers) as Matcher[],
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    createdBy: r.created_by,
    comment: r.comment,
    createdAt: r.created_at,
    expiredAt: r.expired_at,
  };
  return { ...s, state: silenceState(s, now) };
}

export interface AlertRepo {
  loadCurrent(): Promise<AlertRecord[]>;
  /** Inserts the episode and returns its row id. */
  insert(a: AlertRecord): Promise<number>;
  update(a: AlertRecord): Promise<void>;
  event(a: AlertRecord, at: number, type: AlertEventType, detail?: string): Promise<void>;
  list(q: AlertQuery): Promise<AlertRecord[]>;
  /** The current episode of a fingerprint, else its latest. */
  latest(fingerprint: string): Promise<AlertRecord | undefined>;
  events(fingerprint: string, limit: number): Promise<AlertEvent[]>;
  /** Deletes resolved episodes (and their events) that ended before `before`; returns how many. */
  prune(before: number): Promise<number>;
  insertSilence(s: Omit<Silence, 'id' | 'state' | 'expiredAt'>): Promise<number>;
  silence(id: number, now: number): Promise<Silence | undefined>;
  /** Silences not expired at `now` (pending or active). */
  liveSilences(now: number): Promise<Silence[]>;
  listSilences(
    q: { state?: Silence['state']; limit: number; before?: number },
    now: number,
  ): Promise<Silence[]>;
  expireSilence(id: number, now: number): Promise<void>;
}

export function createAlertRepo(db: Database): AlertRepo {
  return {
    async loadCurrent() {
      const rows = await db.all<AlertRow>("SELECT * FROM alerts WHERE state <> 'resolved' ORDER BY id");
      return rows.map(fromRow);
    },
    async insert(a) {
      const r = await db.run(`INSERT INTO alerts (${COLUMNS}) VALUES (${VALUES})`, params(a));
      return r.lastID;
    },
    async update(a) {
      await db.run(`UPDATE alerts SET ${SETS} WHERE id = $id`, { ...params(a), $id: a.id });
    },
    async event(a, at, type, detail = '') {
      await db.run(
        'INSERT INTO alert_events (alert_id, fingerprint, at, type, detail) VALUES (?, ?, ?, ?, ?)',
        [a.id, a.fingerprint, at, type, detail],
      );
    },
    async list(q) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (q.state === 'active') where.push("state <> 'resolved'");
      else if (q.state === 'silenced') where.push("state <> 'resolved' AND silenced_by IS NOT NULL");
      else if (q.state !== 'all') {
        where.push('state = ?');
        args.push(q.state);
      }
      if (q.rule !== undefined) {
        where.push('rule = ?');
        args.push(q.rule);
      }
      if (q.node !== undefined) {
        where.push("json_extract(labels, '$.node') = ?");
        args.push(q.node);
      }
      if (q.before !== undefined) {
        where.push('id < ?');
        args.push(q.before);
      }
      const sql =
        `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
        'ORDER BY id DESC LIMIT ?';
      return (await db.all<AlertRow>(sql, [...args, q.limit])).map(fromRow);
    },
    async latest(fingerprint) {
      const row = await db.get<AlertRow>(
        "SELECT * FROM alerts WHERE fingerprint = ? ORDER BY state <> 'resolved' DESC, id DESC LIMIT 1",
        [fingerprint],
      );
      return row ? fromRow(row) : undefined;
    },
    async events(fingerprint, limit) {
      const rows = await db.all<{
        id: number;
        alert_id: number;
        fingerprint: string;
        at: number;
        type: AlertEventType;
        detail: string;
      }>('SELECT * FROM alert_events WHERE fingerprint = ? ORDER BY id DESC LIMIT ?', [fingerprint, limit]);
      return rows.map((r) => ({
        id: r.id,
        alertId: r.alert_id,
        fingerprint: r.fingerprint,
        at: r.at,
        type: r.type,
        detail: r.detail,
      }));
    },
    async prune(before) {
      const r = await db.run("DELETE FROM alerts WHERE state = 'resolved' AND ends_at < ?", [before]);
      return r.changes;
    },
    async insertSilence(s) {
      const r = await db.run(
        'INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment, created_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?)',
        [JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.createdBy, s.comment, s.createdAt],
      );
      return r.lastID;
    },
    async silence(id, now) {
      const row = await db.get<SilenceRow>('SELECT * FROM silences WHERE id = ?', [id]);
      return row ? silenceFromRow(row, now) : undefined;
    },
    async liveSilences(now) {
      const rows = await db.all<SilenceRow>(
        'SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY id',
        [now],
      );
      return rows.map((r) => silenceFromRow(r, now));
    },
    async listSilences(q, now) {
      const where: string[] = [];
      const args: number[] = [];
      if (q.state === 'expired') {
        where.push('(expired_at IS NOT NULL OR ends_at <= ?)');
        args.push(now);
      } else if (q.state === 'active' || q.state === 'pending') {
        where.push(
          'expired_at IS NULL AND ends_at > ?',
          q.state === 'active' ? 'starts_at <= ?' : 'starts_at > ?',
        );
        args.push(now, now);
      }
      if (q.before !== undefined) {
        where.push('id < ?');
        args.push(q.before);
      }
      const rows = await db.all<SilenceRow>(
        `SELECT * FROM silences ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
        [...args, q.limit],
      );
      return rows.map((r) => silenceFromRow(r, now));
    },
    async expireSilence(id, now) {
      await db.run(
        'UPDATE silences SET expired_at = ?, ends_at = max(starts_at + 1, min(ends_at, ?)) WHERE id = ?',
        [now, now, id],
      );
    },
  };
}
