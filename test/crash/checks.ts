/**
 * What must hold in a Ringwatch database after its writer was SIGKILLed at any moment, checked by reopening
 * it the way the server does (openDatabase + createStore). Each check throws an AssertionError naming what
 * broke; checkDatabase returns counts for the test's report.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { RING_KEY } from '../../server/detect/types.js';
import { createStore, INTERRUPTED_REASON, openDatabase, RESOLUTION_MS } from '../../server/store/index.js';
import type { Database } from '../../server/store/index.js';
import { clockAfter, steppedClock } from './clock.js';

export interface CheckOptions {
  /** The node with a stale-neighbor fault from before the first crawl: inconsistent whenever reached. */
  faultyNode: string;
  /** Detector threshold K (consecutive inconsistent crawls that flag a node). */
  persistentCrawls: number;
  /** The worker's recording notifier file (one JSON line per notification). */
  notifyFile: string;
  /** After a worker that ran to completion: the alert must agree with the detector exactly. */
  settled?: boolean;
  /**
   * Mark crawls left running as aborted, as the server does at open (default). false leaves them for the
   * next worker to recover (it prints their ids), after checking there is at most one: the newest.
   */
  recover?: boolean;
}

export interface CheckReport {
  /** Ids of the crawls found `running` (the killed process's); aborted now unless recover was false. */
  running: number[];
  succeeded: number;
  pruned: number;
  streak: number;
  flagged: boolean;
  /** True when the faulty node was reached in every recorded crawl (the streak must then equal them). */
  exact: boolean;
  firingAlerts: number;
  notifications: number;
}

interface CrawlRow {
  id: number;
  state: string;
  data: string;
  started_at: number;
  discovered: number | null;
  reason: string | null;
  obs: number;
}

interface PersistentState {
  streak: number;
  flagged: boolean;
}

const FIVE = RESOLUTION_MS['5m'];

async function checkCrawls(db: Database, running: readonly number[]): Promise<CrawlRow[]> {
  const crawls = await db.all<CrawlRow>(
    `SELECT c.id, c.state, c.data, c.started_at, c.discovered, c.reason,
            (SELECT count(*) FROM observations o WHERE o.crawl = c.id) AS obs
     FROM crawls c ORDER BY c.id`,
  );
  let last = -Infinity;
  for (const c of crawls) {
    assert.ok(c.started_at >= last, `crawl ${c.id} starts before the crawl before it`);
    last = c.started_at;
    if (c.state === 'running') assert.ok(running.includes(c.id), `crawl ${c.id} is running`);
    if (c.state === 'succeeded') {
      assert.ok(c.data === 'raw' || c.data === 'pruned', `succeeded crawl ${c.id} has data '${c.data}'`);
      const want = c.data === 'raw' ? c.discovered : 0;
      assert.equal(
        c.obs,
        want,
        `crawl ${c.id} (${c.data}): ${c.obs} observations, discovered ${c.discovered}`,
      );
    } else {
      assert.equal(c.data, 'none', `${c.state} crawl ${c.id} has data '${c.data}'`);
      assert.equal(c.obs, 0, `${c.state} crawl ${c.id} has observations`);
    }
  }
  return crawls;
}

/** 5-minute rollups + raw rows after them count every finished crawl and observation exactly once. */
async function evidence(db: Database, crawls: CrawlRow[], nodeId: string) {
  const done5 =
    (await db.get<{ v: number }>('SELECT done_until AS v FROM rollup_progress WHERE res_ms = ?', [FIVE]))
      ?.v ?? -Infinity;
  const finishedBefore = crawls.filter((c) => c.started_at < done5).length;
  const rolled = await db.get<{ n: number | null }>(
    'SELECT sum(crawls) AS n FROM rollup_ring WHERE res_ms = ? AND bucket < ?',
    [FIVE, done5],
  );
  assert.equal(rolled?.n ?? 0, finishedBefore, 'ring rollups do not count each finished crawl once');
  for (const c of crawls) {
    if (c.data === 'pruned') assert.ok(c.started_at < done5, `crawl ${c.id} pruned before it was rolled up`);
  }
  const node = await db.get<{ id: number }>('SELECT id FROM nodes WHERE node_id = ?', [nodeId]);
  if (!node) return { samples: 0, inconsistent: 0, unreachable: 0 };
  const low = Number.isFinite(done5) ? done5 : -Number.MAX_SAFE_INTEGER;
  const r = await db.get<{ s: number | null; i: number | null; u: number | null }>(
    `SELECT sum(samples) AS s, sum(inconsistent) AS i, sum(unreachable) AS u
     FROM rollup_node WHERE res_ms = ? AND node = ? AND bucket < ?`,
    [FIVE, node.id, low],
  );
  const raw = await db.get<{ s: number; i: number | null; u: number | null }>(
    `SELECT count(*) AS s, sum(o.state = 1) AS i, sum(o.state = 2) AS u
     FROM observations o JOIN crawls c ON c.id = o.crawl WHERE o.node = ? AND c.started_at >= ?`,
    [node.id, low],
  );
  return {
    samples: (r?.s ?? 0) + (raw?.s ?? 0),
    inconsistent: (r?.i ?? 0) + (raw?.i ?? 0),
    unreachable: (r?.u ?? 0) + (raw?.u ?? 0),
  };
}

async function checkSignals(db: Database, crawls: CrawlRow[]): Promise<Map<string, number>> {
  const dup = await db.all<{ kind: string; node_key: string | null; n: number }>(
    `SELECT kind, node_key, count(*) AS n FROM signals WHERE to_crawl IS NULL
     GROUP BY kind, ifnull(node_key, ''), ifnull(thread, '') HAVING n > 1`,
  );
  assert.deepEqual(dup, [], 'a signal identity has more than one open row');
  const succeeded = new Set(crawls.filter((c) => c.state === 'succeeded').map((c) => c.id));
  const rows = await db.all<{
    id: number;
    kind: string;
    node_key: string | null;
    f: number;
    t: number | null;
  }>('SELECT id, kind, node_key, from_crawl AS f, to_crawl AS t FROM signals');
  const openPersistent = new Map<string, number>();
  for (const s of rows) {
    assert.ok(succeeded.has(s.f), `signal ${s.id} opened by crawl ${s.f}, not a succeeded crawl`);
    if (s.t !== null) assert.ok(succeeded.has(s.t) && s.t > s.f, `signal ${s.id} closed by crawl ${s.t}`);
    else if (s.kind === 'persistent_inconsistency') openPersistent.set(s.node_key ?? '', s.f);
  }
  return openPersistent;
}

async function persistentStates(db: Database): Promise<Map<string, PersistentState>> {
  const rows = await db.all<{ key: string; value: string }>(
    `SELECT key, value FROM detector_state WHERE detector = 'persistent_inconsistency'`,
  );
  return new Map(
    rows.filter((r) => r.key !== RING_KEY).map((r) => [r.key, JSON.parse(r.value) as PersistentState]),
  );
}

/** Alerts: one current episode per fingerprint; every notification sent was committed first, once. */
async function checkAlerts(db: Database, o: CheckOptions, flagged: boolean) {
  const dup = await db.all(
    `SELECT fingerprint, count(*) AS n FROM alerts WHERE state <> 'resolved' GROUP BY fingerprint HAVING n > 1`,
  );
  assert.deepEqual(dup, [], 'a fingerprint has more than one current alert');
  const lines = existsSync(o.notifyFile)
    ? readFileSync(o.notifyFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { status: string; fingerprints: string[] })
    : [];
  const sent = new Map<string, number>();
  for (const l of lines) {
    for (const fp of l.fingerprints) {
      const key = `${l.status} ${fp}`;
      sent.set(key, (sent.get(key) ?? 0) + 1);
    }
  }
  for (const [key, n] of sent) {
    const [status, fp] = key.split(' ') as [string, string];
    const type = status === 'firing' ? 'notified' : 'resolved_notified';
    const committed = await db.get<{ n: number }>(
      'SELECT count(*) AS n FROM alert_events WHERE fingerprint = ? AND type = ?',
      [fp, type],
    );
    assert.ok(n <= (committed?.n ?? 0), `${n} ${status} notifications of ${fp}, ${committed?.n} committed`);
  }
  const pi = await db.all<{ fingerprint: string; state: string; fired_notified: number }>(
    `SELECT fingerprint, state, fired_notified FROM alerts
     WHERE rule = 'PersistentInconsistency' AND json_extract(labels, '$.node') = ?`,
    [o.faultyNode],
  );
  assert.ok(pi.length <= 1, `the persistent fault has ${pi.length} alert episodes`);
  if (pi.length === 1)
    assert.ok(flagged, 'PersistentInconsistency alert for a node the detector never flagged');
  if (o.settled) {
    assert.equal(pi[0]?.state ?? 'none', flagged ? 'firing' : 'none', 'alert disagrees with the detector');
    if (flagged) {
      assert.equal(pi[0]!.fired_notified, 1);
      assert.equal(
        sent.get(`firing ${pi[0]!.fingerprint}`),
        1,
        'the firing notification was lost or repeated',
      );
    }
  }
  const firing = await db.get<{ n: number }>(`SELECT count(*) AS n FROM alerts WHERE state = 'firing'`);
  return { firing: firing?.n ?? 0, notifications: lines.length };
}

export async function checkDatabase(file: string, o: CheckOptions): Promise<CheckReport> {
  const db = await openDatabase(file, { clock: steppedClock() });
  try {
    assert.deepEqual(await db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    assert.deepEqual(await db.all('PRAGMA foreign_key_check'), [], 'foreign keys violated');
    const running = (await db.all<{ id: number }>(`SELECT id FROM crawls WHERE state = 'running'`)).map(
      (r) => r.id,
    );
    assert.ok(running.length <= 1, `${running.length} crawls running at once`);
    const recover = o.recover !== false;
    const store = await createStore(db, await clockAfter(db), { recoverInterrupted: recover });
    if (recover) {
      assert.deepEqual(store.abortedOnOpen, running);
      for (const id of running) {
        const c = await store.getCrawl(id);
        assert.equal(c?.state, 'aborted');
        assert.equal(c?.reason, INTERRUPTED_REASON);
      }
    } else {
      assert.deepEqual(store.abortedOnOpen, []);
    }
    const crawls = await checkCrawls(db, recover ? [] : running);
    if (running.length > 0)
      assert.equal(running[0], crawls[crawls.length - 1]!.id, 'an old crawl is running');
    const succeeded = crawls.filter((c) => c.state === 'succeeded');
    const seen = await evidence(db, crawls, o.faultyNode);
    const openPersistent = await checkSignals(db, crawls);
    const states = await persistentStates(db);
    const k = o.persistentCrawls;
    for (const [node, st] of states) {
      assert.ok(st.streak <= succeeded.length, `${node}: streak ${st.streak} > ${succeeded.length} crawls`);
      assert.equal(st.flagged, st.streak >= k, `${node}: flagged ${st.flagged} with streak ${st.streak}`);
    }
    const flaggedNodes = [...states].filter(([, st]) => st.flagged).map(([n]) => n);
    assert.deepEqual([...openPersistent.keys()].sort(), flaggedNodes.sort(), 'open signals ≠ flagged nodes');

    const st = states.get(o.faultyNode) ?? { streak: 0, flagged: false };
    assert.ok(seen.samples <= succeeded.length, 'the node has more observations than recorded crawls');
    assert.ok(st.streak <= seen.inconsistent, `streak ${st.streak} ahead of ${seen.inconsistent} sightings`);
    // Reached (and so inconsistent) in every recorded crawl: the streak is exactly the recorded crawls.
    const exact = seen.unreachable === 0 && seen.samples === succeeded.length;
    if (exact) {
      assert.equal(seen.inconsistent, succeeded.length, 'the faulty node was judged consistent');
      assert.equal(st.streak, succeeded.length, 'streak drifted from the recorded crawls');
      if (st.flagged) assert.equal(openPersistent.get(o.faultyNode), succeeded[k - 1]!.id);
    }
    const alerts = await checkAlerts(db, o, st.flagged);
    return {
      running,
      succeeded: succeeded.length,
      pruned: crawls.filter((c) => c.data === 'pruned').length,
      streak: st.streak,
      flagged: st.flagged,
      exact,
      firingAlerts: alerts.firing,
      notifications: alerts.notifications,
    };
  } finally {
    await db.close();
  }
}
