/**
 * One evaluation of the alert lifecycle, as Prometheus + Alertmanager do it, on the engine's in-memory
 * state (the current, unresolved episode of every fingerprint). No I/O: evaluate() mutates the records
 * and says what to persist, which events to record, which alerts changed and what to send. The engine
 * persists all of it in one transaction and only then notifies, so a crash never sends twice.
 *
 * Steps, all at one `now`:
 *  1. Conditions: for every rule in `conditions` (its COMPLETE set of conditions that hold now), a new
 *     fingerprint becomes pending (activeAt = now); a current alert of that rule absent from the set
 *     resolves (endsAt = now). Rules not in `conditions` keep their alerts as they are.
 *  2. `for`: a pending alert whose condition has held for the rule's `for` becomes firing (startsAt).
 *  3. Muting: an alert is inhibited while a firing alert of an inhibit rule's source fires, and silenced
 *     while an active silence matches its labels. Muted alerts are listed but not sent.
 *  4. Notifications, grouped per rule and status: a firing alert not muted and not yet sent is sent
 *     (also when its silence or inhibition ends while it still fires); a sent one not acknowledged is
 *     re-sent every repeatInterval; a resolved one is sent resolved only when its firing was sent.
 */
import type { AlertingConfig } from './config.js';
import type { AlertEventType, AlertRecord } from './repo.js';
import { annotationsFor, fingerprint, type Condition } from './rules.js';
import { silenceMatches, silenceState, type Silence } from './silences.js';
import type { Alert, Notification, RuleName } from './types.js';

export interface EvalInput {
  now: number;
  config: AlertingConfig;
  /** Current alerts by fingerprint; updated in place (resolved ones are removed). */
  current: Map<string, AlertRecord>;
  /** Live (not expired) silences. */
  silences: readonly Silence[];
  /** Rules evaluated now, each with its complete set of holding conditions. */
  conditions: ReadonlyMap<RuleName, readonly Condition[]>;
}

export interface EvalEvent {
  alert: AlertRecord;
  type: AlertEventType;
  detail: string;
}

export interface EvalOutput {
  /** Records to write (id 0: insert). Includes the ones resolved now. */
  dirty: Set<AlertRecord>;
  /** Events in order; their alert may be new (insert it first). */
  events: EvalEvent[];
  /** Alerts whose state, muting or acknowledgement changed (for live updates). */
  changed: Set<AlertRecord>;
  notifications: Notification[];
}

/** The shared Alert view of a record (what notifications and live updates carry). */
export function toAlert(r: AlertRecord): Alert {
  return {
    fingerprint: r.fingerprint,
    rule: r.rule,
    state: r.state,
    labels: { ...r.labels },
    annotations: { ...r.annotations },
    activeAt: r.activeAt,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    silencedBy: r.silencedBy,
    inhibitedBy: r.inhibitedBy,
    ack: r.ack ? { ...r.ack } : null,
  };
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export function evaluate(input: EvalInput): EvalOutput {
  const { now, config, current } = input;
  const out: EvalOutput = { dirty: new Set(), events: [], changed: new Set(), notifications: [] };
  const mark = (alert: AlertRecord, type: AlertEventType, detail = '') => {
    out.dirty.add(alert);
    out.changed.add(alert);
    out.events.push({ alert, type, detail });
  };
  const resolvedNow: AlertRecord[] = [];

  // 1. Conditions.
  for (const [rule, conds] of input.conditions) {
    const seen = new Set<string>();
    for (const c of conds) {
      const fp = fingerprint(c.labels);
      if (seen.has(fp)) continue;
      seen.add(fp);
      const annotations = annotationsFor(c, config);
      const rec = current.get(fp);
      if (rec === undefined) {
        const fresh: AlertRecord = {
          id: 0,
          fingerprint: fp,
          rule,
          state: 'pending',
          labels: c.labels,
          annotations,
          value: c.value,
          detail: c.detail,
          crawlId: c.crawlId,
          activeAt: now,
          startsAt: null,
          endsAt: null,
          silencedBy: null,
          inhibitedBy: null,
          ack: null,
          firedNotified: false,
          lastNotifiedAt: null,
        };
        current.set(fp, fresh);
        mark(fresh, 'pending', c.detail);
      } else if (
        rec.value !== c.value ||
        rec.detail !== c.detail ||
        rec.crawlId !== c.crawlId ||
        !sameRecord(rec.annotations, annotations)
      ) {
        Object.assign(rec, { value: c.value, detail: c.detail, crawlId: c.crawlId, annotations });
        out.dirty.add(rec);
      }
    }
    for (const rec of [...current.values()]) {
      if (rec.rule !== rule || seen.has(rec.fingerprint)) continue;
      Object.assign(rec, { state: 'resolved', endsAt: now, silencedBy: null, inhibitedBy: null });
      current.delete(rec.fingerprint);
      resolvedNow.push(rec);
      mark(rec, 'resolved');
    }
  }

  // 2. `for`.
  for (const rec of current.values()) {
    if (rec.state === 'pending' && now - rec.activeAt >= config.rules[rec.rule].for) {
      Object.assign(rec, { state: 'firing', startsAt: now });
      mark(rec, 'firing');
    }
  }

  // 3. Muting.
  const sources = new Map<RuleName, AlertRecord[]>();
  for (const rec of current.values()) {
    if (rec.state !== 'firing') continue;
    let list = sources.get(rec.rule);
    if (list === undefined) sources.set(rec.rule, (list = []));
    list.push(rec);
  }
  const active = input.silences.filter((s) => silenceState(s, now) === 'active');
  for (const rec of current.values()) {
    let inhibitedBy: string | null = null;
    for (const inh of config.inhibit) {
      if (!inh.targets.includes(rec.rule)) continue;
      const src = (sources.get(inh.source) ?? []).find((s) => s.fingerprint !== rec.fingerprint);
      if (src) {
        inhibitedBy = src.fingerprint;
        break;
      }
    }
    const silencedBy = active.find((s) => silenceMatches(s.matchers, rec.labels))?.id ?? null;
    if (inhibitedBy !== rec.inhibitedBy) {
      const was = rec.inhibitedBy;
      rec.inhibitedBy = inhibitedBy;
      if (inhibitedBy !== null) mark(rec, 'inhibited', `by ${inhibitedBy}`);
      else mark(rec, 'uninhibited', `was ${was}`);
    }
    if (silencedBy !== rec.silencedBy) {
      const was = rec.silencedBy;
      rec.silencedBy = silencedBy;
      if (silencedBy !== null) mark(rec, 'silenced', `by silence ${silencedBy}`);
      else mark(rec, 'unsilenced', `was silence ${was}`);
    }
  }

  // 4. Notifications, grouped per rule.
  const firing = new Map<RuleName, AlertRecord[]>();
  const resolved = new Map<RuleName, AlertRecord[]>();
  const add = (m: Map<RuleName, AlertRecord[]>, rec: AlertRecord) => {
    let list = m.get(rec.rule);
    if (list === undefined) m.set(rec.rule, (list = []));
    list.push(rec);
  };
  for (const rec of current.values()) {
    if (rec.state !== 'firing' || rec.silencedBy !== null || rec.inhibitedBy !== null) continue;
    if (!rec.firedNotified) {
      Object.assign(rec, { firedNotified: true, lastNotifiedAt: now });
      out.dirty.add(rec);
      out.events.push({ alert: rec, type: 'notified', detail: '' });
      add(firing, rec);
    } else if (rec.ack === null && now - (rec.lastNotifiedAt ?? 0) >= config.rules[rec.rule].repeatInterval) {
      rec.lastNotifiedAt = now;
      out.dirty.add(rec);
      out.events.push({ alert: rec, type: 'reminded', detail: '' });
      add(firing, rec);
    }
  }
  for (const rec of resolvedNow) {
    if (!rec.firedNotified) continue;
    out.events.push({ alert: rec, type: 'resolved_notified', detail: '' });
    add(resolved, rec);
  }
  const externalUrl = config.externalUrl;
  for (const [rule, list] of resolved) {
    out.notifications.push({ groupKey: rule, status: 'resolved', alerts: list.map(toAlert), externalUrl });
  }
  for (const [rule, list] of firing) {
    out.notifications.push({ groupKey: rule, status: 'firing', alerts: list.map(toAlert), externalUrl });
  }
  return out;
}
