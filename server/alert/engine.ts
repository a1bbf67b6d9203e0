/**
 * The alert engine: turns pipeline events and time into alerts (lifecycle in lifecycle.ts), keeps them in
 * SQLite (repo.ts) and hands notifications to the notifier. Wiring (the integrator):
 *
 *   const engine = createAlertEngine({ db, clock, notifier, config: parseAlertingConfig(section), onChange });
 *   await engine.start();                       // loads state, starts the evaluation timer
 *   pipeline emit: (e) => { engine.observe(e).catch((err) => logger.error({ err }, 'alerting failed')); }
 *   GET /summary: await engine.firingCount();   shutdown: await engine.stop();
 *
 * Inputs: a successful crawl's signals are the complete set of holding conditions of the signal rules
 * (rules.ts); a failed or aborted crawl holds CrawlFailed (and leaves the signal rules as they are); a
 * successful crawl resolves it. CrawlerStale holds while no crawl (of any outcome) has finished for
 * `afterMs` since the later of the last finished crawl and the engine's start (a CrawlerStale alert
 * still active at start keeps holding until a crawl finishes). tick() re-evaluates time: `for`,
 * CrawlerStale, repeat intervals, silences starting or ending; it also prunes old history hourly.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { PipelineEvent } from '../pipeline/crawl-pipeline.js';
import type { Database } from '../store/db.js';
import type { AlertingConfig } from './config.js';
import { evaluate, toAlert } from './lifecycle.js';
import { createAlertRepo } from './repo.js';
import type { AlertEvent, AlertFilter, AlertRecord } from './repo.js';
import { conditionsFromSignals, labelsFor, SIGNAL_RULES, type Condition } from './rules.js';
import { SilenceInputSchema, silenceState, type Silence, type SilenceInput } from './silences.js';
import type { Alert, Notifier, RuleName } from './types.js';

/** A live-update event: one alert's state, muting or acknowledgement changed. */
export interface AlertChange {
  type: 'alert_changed';
  alert: Alert;
}

export interface AlertEngineDeps {
  db: Database;
  clock: Clock;
  notifier: Pick<Notifier, 'notify'>;
  config: AlertingConfig;
  onChange?: (change: AlertChange) => void;
  logger?: Logger;
}

/** An alert as the API lists it: the shared Alert plus its episode id, measure and explanation. */
export interface AlertView extends Alert {
  id: number;
  value: number | null;
  detail: string;
  crawlId: number | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type AckResult = { ok: true; alert: AlertView } | { ok: false; reason: 'not_found' | 'not_firing' };
export type CreateSilenceResult = { ok: true; silence: Silence } | { ok: false; reason: 'ends_in_past' };
export type ExpireSilenceResult = { ok: true; silence: Silence } | { ok: false; reason: 'not_found' };

/**
 * Contract: calls are serialised (one evaluation at a time, in call order); every state change is
 * committed to SQLite before its notification is handed to the notifier (at most once, never again after
 * a restart on the same database) and before onChange is called. observe()/tick() reject only on storage
 * errors (the in-memory state is then reloaded from the database). start() loads state and arms the timer
 * (clock.setTimeout, every config.evaluationIntervalMs); stop() disarms it and waits for running work.
 */
export interface AlertEngine {
  /** Evaluates crawl_finished events; ignores the others. */
  observe(e: PipelineEvent): Promise<void>;
  tick(): Promise<void>;
  /** Alerts firing now (muted ones included). */
  firingCount(): Promise<number>;
  list(q: {
    state: AlertFilter;
    rule?: RuleName;
    node?: string;
    limit: number;
    cursor?: number;
  }): Promise<Page<AlertView>>;
  /** The current episode of a fingerprint, else its latest; null when unknown. */
  get(fingerprint: string): Promise<AlertView | null>;
  /** Events of every episode of a fingerprint, newest first. */
  history(fingerprint: string, limit?: number): Promise<AlertEvent[]>;
  ack(fingerprint: string, by: string, comment: string): Promise<AckResult>;
  silences: {
    create(input: SilenceInput, createdBy: string): Promise<CreateSilenceResult>;
    list(q: { state?: Silence['state']; limit: number; cursor?: number }): Promise<Page<Silence>>;
    get(id: number): Promise<Silence | null>;
    /** Ends it now (a silence already over is returned unchanged). */
    expire(id: number): Promise<ExpireSilenceResult>;
  };
  start(): Promise<void>;
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 3_600_000;

function toView(r: AlertRecord): AlertView {
  return { ...toAlert(r), id: r.id, value: r.value, detail: r.detail, crawlId: r.crawlId };
}

function page<T extends { id: number }>(items: T[], limit: number): Page<T> {
  const shown = items.slice(0, limit);
  return { items: shown, nextCursor: items.length > limit ? String(shown[shown.length - 1]!.id) : null };
}

export function createAlertEngine(deps: AlertEngineDeps): AlertEngine {
  const { db, clock, config } = deps;
  const logger = deps.logger ?? pino({ enabled: false });
  const repo = createAlertRepo(db);
  let current = new Map<string, AlertRecord>();
  let silences: Silence[] = [];
  let startedAt = 0;
  let lastCrawlAt = 0;
  let lastPruneAt = 0;
  let loaded = false;
  let chain: Promise<unknown> = Promise.resolve();
  let timer: TimerHandle | null = null;
  let stopped = true;

  /** Runs fn after everything queued before it; a failure does not block later calls. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = chain.then(async () => {
      if (!loaded) await load();
      return fn();
    });
    chain = p.catch(() => undefined);
    return p;
  }

  async function load(): Promise<void> {
    const now = clock.now();
    current = new Map((await repo.loadCurrent()).map((a) => [a.fingerprint, a]));
    silences = await repo.liveSilences(now);
    startedAt = now;
    const stale = [...current.values()].some((a) => a.rule === 'CrawlerStale');
    lastCrawlAt = stale ? -Infinity : Math.max(lastCrawlAt, now);
    loaded = true;
    // Alerts of rules disabled since they were raised resolve at once.
    const off = new Map<RuleName, Condition[]>();
    for (const a of current.values()) if (!config.rules[a.rule].enabled) off.set(a.rule, []);
    if (off.size > 0) await apply(now, off);
  }

  async function apply(now: number, conditions: ReadonlyMap<RuleName, readonly Condition[]>): Promise<void> {
    silences = silences.filter((s) => silenceState(s, now) !== 'expired');
    const out = evaluate({ now, config, current, silences, conditions });
    if (out.dirty.size === 0 && out.events.length === 0) return;
    try {
      await db.transaction(async () => {
        for (const a of out.dirty) {
          if (a.id === 0) a.id = await repo.insert(a);
          else await repo.update(a);
        }
        for (const e of out.events) await repo.event(e.alert, now, e.type, e.detail);
      });
    } catch (err) {
      loaded = false; // memory may be ahead of the database: reload before the next call
      throw err;
    }
    for (const n of out.notifications) {
      logger.info(
        { rule: n.groupKey, status: n.status, alerts: n.alerts.map((a) => a.fingerprint) },
        'alert notification',
      );
      try {
        deps.notifier.notify(n);
      } catch (err) {
        logger.error({ err, rule: n.groupKey }, 'notifier rejected a notification');
      }
    }
    if (deps.onChange) {
      for (const a of out.changed) {
        try {
          deps.onChange({ type: 'alert_changed', alert: toAlert(a) });
        } catch (err) {
          logger.error({ err }, 'alert change listener failed');
        }
      }
    }
  }

  function crawlConditions(e: Extract<PipelineEvent, { type: 'crawl_finished' }>) {
    const m = new Map<RuleName, Condition[]>([['CrawlerStale', []]]);
    const s = e.summary;
    if (s.state === 'succeeded') {
      for (const rule of SIGNAL_RULES) m.set(rule, []);
      for (const c of conditionsFromSignals(e.signals, s.crawlId, config)) m.get(c.rule)!.push(c);
      m.set('CrawlFailed', []);
    } else {
      const rule = config.rules.CrawlFailed;
      const detail = `crawl ${s.crawlId} ${s.state}${s.reason ? `: ${s.reason}` : ''}`;
      m.set(
        'CrawlFailed',
        rule.enabled
          ? [
              {
                rule: 'CrawlFailed',
                labels: labelsFor('CrawlFailed', config),
                value: null,
                detail,
                crawlId: s.crawlId,
              },
            ]
          : [],
      );
    }
    return m;
  }

  function staleConditions(now: number): Map<RuleName, Condition[]> {
    const rule = config.rules.CrawlerStale;
    const holds = rule.enabled && now - lastCrawlAt >= rule.afterMs;
    const since = Number.isFinite(lastCrawlAt) ? lastCrawlAt : startedAt;
    const detail =
      `no crawl has finished since ${new Date(since).toISOString()} ` +
      `(threshold ${Math.round(rule.afterMs / 1000)} s)`;
    const cond: Condition = {
      rule: 'CrawlerStale',
      labels: labelsFor('CrawlerStale', config),
      value: null,
      detail,
      crawlId: null,
    };
    return new Map([['CrawlerStale', holds ? [cond] : []]]);
  }

  function tick(): Promise<void> {
    return serial(async () => {
      const now = clock.now();
      await apply(now, staleConditions(now));
      if (now - lastPruneAt >= PRUNE_EVERY_MS) {
        lastPruneAt = now;
        const n = await repo.prune(now - config.historyRetentionMs);
        if (n > 0) logger.info({ alerts: n }, 'pruned resolved alerts');
      }
    });
  }

  function arm(): void {
    timer = clock.setTimeout(() => {
      timer = null;
      tick()
        .catch((err: unknown) => logger.error({ err }, 'alert evaluation failed'))
        .finally(() => {
          if (!stopped) arm();
        });
    }, config.evaluationIntervalMs);
  }

  return {
    observe(e) {
      if (e.type !== 'crawl_finished') return Promise.resolve();
      return serial(async () => {
        const now = clock.now();
        lastCrawlAt = now;
        await apply(now, crawlConditions(e));
      });
    },
    tick,
    firingCount: () =>
      serial(() => Promise.resolve([...current.values()].filter((a) => a.state === 'firing').length)),
    async list(q) {
      const rows = await repo.list({
        state: q.state,
        limit: q.limit + 1,
        ...(q.rule !== undefined ? { rule: q.rule } : {}),
        ...(q.node !== undefined ? { node: q.node } : {}),
        ...(q.cursor !== undefined ? { before: q.cursor } : {}),
      });
      return page(rows.map(toView), q.limit);
    },
    async get(fp) {
      const r = await repo.latest(fp);
      return r ? toView(r) : null;
    },
    history: (fp, limit = 1000) => repo.events(fp, limit),
    ack(fp, by, comment) {
      return serial(async (): Promise<AckResult> => {
        const rec = current.get(fp);
        if (rec === undefined || rec.state !== 'firing') {
          return { ok: false, reason: rec || (await repo.latest(fp)) ? 'not_firing' : 'not_found' };
        }
        const now = clock.now();
        rec.ack = { by, at: now, comment };
        try {
          await db.transaction(async () => {
            await repo.update(rec);
            await repo.event(rec, now, 'acked', comment === '' ? `by ${by}` : `by ${by}: ${comment}`);
          });
        } catch (err) {
          loaded = false;
          throw err;
        }
        deps.onChange?.({ type: 'alert_changed', alert: toAlert(rec) });
        return { ok: true, alert: toView(rec) };
      });
    },
    silences: {
      create(input, createdBy) {
        return serial(async (): Promise<CreateSilenceResult> => {
          const s = SilenceInputSchema.parse(input);
          const now = clock.now();
          if (s.endsAt <= now) return { ok: false, reason: 'ends_in_past' };
          const startsAt = Math.max(s.startsAt ?? now, now);
          if (s.endsAt <= startsAt) return { ok: false, reason: 'ends_in_past' };
          const row = { matchers: s.matchers, startsAt, endsAt: s.endsAt, createdBy, comment: s.comment };
          const id = await repo.insertSilence({ ...row, createdAt: now });
          silences = await repo.liveSilences(now);
          await apply(now, new Map());
          return { ok: true, silence: (await repo.silence(id, now))! };
        });
      },
      async list(q) {
        const now = clock.now();
        const rows = await repo.listSilences(
          {
            limit: q.limit + 1,
            ...(q.state ? { state: q.state } : {}),
            ...(q.cursor ? { before: q.cursor } : {}),
          },
          now,
        );
        return page(rows, q.limit);
      },
      async get(id) {
        return (await repo.silence(id, clock.now())) ?? null;
      },
      expire(id) {
        return serial(async (): Promise<ExpireSilenceResult> => {
          const now = clock.now();
          const s = await repo.silence(id, now);
          if (!s) return { ok: false, reason: 'not_found' };
          if (s.state === 'expired') return { ok: true, silence: s };
          await repo.expireSilence(id, now);
          silences = await repo.liveSilences(now);
          await apply(now, new Map());
          return { ok: true, silence: (await repo.silence(id, now))! };
        });
      },
    },
    async start() {
      if (!stopped) return;
      stopped = false;
      await serial(() => Promise.resolve());
      arm();
    },
    async stop() {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
      timer = null;
      await chain;
    },
  };
}
