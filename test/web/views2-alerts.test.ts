/**
 * The Alerts view in Chromium. (1) Against the real server: a mass loss on a simulated ring makes
 * NodeLossNonLinear fire; the alert appears live and an operator acknowledges it — skipped while the
 * alert routes are not wired into server/server.ts. (2) Against a scripted alerts API (page.route) with
 * real live events (the server's hub): tabs and counts, ack and silence dialogs and what they send,
 * history, channels, silences expired, a viewer without actions. Screenshots light and dark.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Page, Route } from 'playwright-core';
import type { AlertView } from '../../server/alert/engine.js';
import type { Silence } from '../../server/alert/silences.js';
import type { ServerOptions } from '../../server/server.js';
import type { SimulatorOptions } from '../../server/sim/run.js';
import { startFixture, type ServerFixture } from '../server/helpers.js';
import { builtWeb, launch, login, shot, sleep, startWeb, watchProblems } from './helpers.js';

const OPERATOR = { username: 'olga', password: 'operator-passphrase-1' };

async function addUser(f: ServerFixture, username: string, password: string, role: string) {
  const r = await f.api('/api/v1/users', { method: 'POST', body: { username, password, role } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

const snap = async (page: Page, name: string) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, name);
};

test('alerts (real server): a mass loss fires NodeLossNonLinear live; an operator acknowledges it', async (t) => {
  const NODES = 40;
  // Losses count after 1 missed crawl; the ring signal needs more than 3 AND more than 5 % of the ring.
  const { f, page, problems } = await startWebWith(t, { nodes: NODES, seed: 7 }, (o) => ({
    ...o,
    detectors: { lostAfterCrawls: 1, loss: { absolute: 3, percent: 5 } },
  }));
  if (!f.server.routes.includes('GET /alerts')) {
    t.skip('the alert routes are not wired into server/server.ts yet');
    return;
  }
  await addUser(f, OPERATOR.username, OPERATOR.password, 'operator');
  await f.crawl(); // every node known
  await page.goto(`${f.url}/#/alerts?state=firing`);
  await page.waitForSelector('#login-submit');
  await login(page, OPERATOR.username, OPERATOR.password);
  await page.waitForSelector('#alert-list .state-empty:has-text("No firing alerts")');

  await f.inject({ kind: 'mass-loss', fraction: 0.25 });
  await sleep(300);
  await f.crawl();
  const card = '#alert-list li[data-rule="NodeLossNonLinear"]';
  await page.waitForSelector(card, { timeout: 20_000 });
  assert.match((await page.textContent(`${card} .sev`)) ?? '', /critical/);
  assert.equal(await page.textContent('#tab-firing .tab-count'), '1');
  assert.match((await page.getAttribute(`${card} [data-action="dashboard"]`, 'href')) ?? '', /^#\/ring/);

  await page.click(`${card} [data-action="ack"]`);
  await page.waitForSelector('#ack-dialog[open]');
  await page.fill('#ack-comment', 'looking into the lost nodes');
  await page.click('#ack-submit');
  await page.waitForSelector(`${card} [data-flag="acked"]`);
  assert.match((await page.textContent(`${card} [data-flag="acked"]`)) ?? '', /acknowledged by olga/);
  await snap(page, 'alerts-real-light');
  assert.deepEqual(problems.errors, []);
});

test('alerts (scripted API): live arrival, ack and silence dialogs, history, channels', async (t) => {
  const { f, page, problems } = await startWeb(t, { nodes: 8, seed: 3 });
  const api = await scriptAlerts(page);
  await addUser(f, 'vic', 'viewer-passphrase-1', 'viewer');
  await page.goto(`${f.url}/#/alerts`);
  await page.waitForSelector('#login-submit');
  await login(page);
  await page.waitForSelector('#alert-list .state-empty:has-text("No firing alerts")');
  assert.equal(await page.getAttribute('#tab-firing', 'aria-current'), 'page');
  assert.equal(await page.textContent('#tab-firing .tab-count'), '0');
  await page.waitForSelector('#channels-table tr[data-channel="ops-webhook"]');

  // An alert fires: the server's live stream announces it, the view shows it without a reload.
  const now = Date.now();
  const loss = api.add({
    fingerprint: '0123456789abcdef',
    rule: 'NodeLossNonLinear',
    labels: { alertname: 'NodeLossNonLinear', severity: 'critical' },
    annotations: { summary: '10 nodes lost within 10 min (25.0% of the ring)', dashboard: '#/ring?crawl=2' },
    startsAt: now - 65_000,
  });
  f.server.hub.publishAlert(change(loss));
  const lossCard = `#alert-list li[data-fingerprint="${loss.fingerprint}"]`;
  await page.waitForSelector(lossCard);
  assert.equal(await page.textContent('#tab-firing .tab-count'), '1');
  assert.match((await page.textContent(lossCard)) ?? '', /10 nodes lost within 10 min/);
  assert.match((await page.textContent(lossCard)) ?? '', /firing since .* \(1 min \d+ s\)/);
  assert.equal(await page.getAttribute(`${lossCard} [data-action="dashboard"]`, 'href'), '#/ring?crawl=2');

  // Acknowledge with a comment (the dialog is modal and keyboard operable).
  await page.click(`${lossCard} [data-action="ack"]`);
  await page.waitForSelector('#ack-dialog[open]');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'ack-comment');
  await page.keyboard.type('on it');
  await page.click('#ack-submit');
  await page.waitForSelector(`${lossCard} [data-flag="acked"]`);
  assert.deepEqual(api.posted.at(-1), {
    path: `/alerts/${loss.fingerprint}/ack`,
    body: { comment: 'on it' },
  });
  assert.equal(await page.locator(`${lossCard} [data-action="ack"]`).count(), 0);
  assert.equal(await page.locator('#ack-dialog').count(), 0, 'the dialog is gone');

  // A node alert, silenced with matchers prefilled from its labels (severity unchecked), for 4 hours.
  const node = 'ab'.repeat(20);
  const stuck = api.add({
    fingerprint: 'fedcba9876543210',
    rule: 'PersistentInconsistency',
    labels: { alertname: 'PersistentInconsistency', node, severity: 'warning' },
    annotations: {
      summary: `Node ${node.slice(0, 12)} inconsistent for 3 crawls`,
      dashboard: `#/nodes/${node}`,
    },
    startsAt: now - 30_000,
  });
  f.server.hub.publishAlert(change(stuck));
  const stuckCard = `#alert-list li[data-fingerprint="${stuck.fingerprint}"]`;
  await page.waitForSelector(stuckCard);
  await page.click(`${stuckCard} [data-action="silence"]`);
  await page.waitForSelector('#silence-dialog[open]');
  assert.deepEqual(
    await page
      .locator('#silence-matchers tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-label'))),
    ['alertname', 'node', 'severity'],
  );
  assert.equal(await page.inputValue('#silence-matchers tr[data-label="node"] input[type="text"]'), node);
  await page.uncheck('#silence-matchers tr[data-label="severity"] input[type="checkbox"]');
  await page.selectOption('#silence-duration', String(4 * 3_600_000));
  await page.fill('#silence-comment', 'known flaky node');
  await shot(page, 'alerts-silence-dialog-light');
  const before = Date.now();
  await page.click('#silence-submit');
  await page.waitForSelector('#silences-table tr[data-silence="1"]');
  const sent = api.posted.at(-1)!;
  assert.equal(sent.path, '/silences');
  const body = sent.body as { matchers: unknown[]; endsAt: number; comment: string };
  assert.deepEqual(body.matchers, [
    { name: 'alertname', value: 'PersistentInconsistency', isRegex: false, isEqual: true },
    { name: 'node', value: node, isRegex: false, isEqual: true },
  ]);
  assert.ok(Math.abs(body.endsAt - (before + 4 * 3_600_000)) < 60_000, `endsAt ${body.endsAt}`);
  assert.equal(body.comment, 'known flaky node');
  await page.waitForSelector(`${stuckCard} [data-flag="silenced"]`);
  assert.equal(await page.textContent('#tab-silenced .tab-count'), '1');

  // History on demand.
  await page.click(`${lossCard} .alert-history summary`);
  await page.waitForSelector(`${lossCard} .alert-history tr[data-event="acked"]`);
  await page.waitForSelector('#silences-table');
  await snap(page, 'alerts-light');

  // A test notification.
  await page.click('#channels-table button[data-channel="ops-webhook"]');
  await page.waitForSelector('#channels-table .notice-ok:has-text("Delivered.")');

  // The silenced tab (URL state), then expire the silence (asks first).
  await page.click('#tab-silenced');
  await page.waitForFunction(() => location.hash === '#/alerts?state=silenced');
  await page.waitForSelector(stuckCard);
  assert.equal(await page.locator('#alert-list li.alert-card').count(), 1);
  await page.click('#expire-silence-1');
  assert.equal(await page.textContent('#expire-silence-1'), 'Expire now?');
  await page.click('#expire-silence-1');
  await page.waitForSelector('#silences .state-empty:has-text("No silences")');
  assert.deepEqual(api.deleted, ['/silences/1']);

  // Resolved, in dark mode.
  api.resolve(loss.fingerprint);
  f.server.hub.publishAlert(change(api.get(loss.fingerprint)));
  await page.click('#tab-resolved');
  await page.waitForSelector(`${lossCard}.state-resolved`);
  await page.click('#theme-toggle');
  await page.click('#theme-toggle');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  await page.goto(`${f.url}/#/alerts?state=firing`);
  await page.waitForSelector(stuckCard);
  await page.click(`${stuckCard} .alert-history summary`);
  await page.waitForSelector(`${stuckCard} .alert-history table`);
  await sleep(100);
  await snap(page, 'alerts-dark');
  assert.deepEqual(problems.errors, []);

  // A viewer sees the alerts, not the actions.
  await page.click('#user-menu summary');
  await page.click('#logout');
  await page.waitForSelector('#login-submit');
  await login(page, 'vic', 'viewer-passphrase-1');
  await page.goto(`${f.url}/#/alerts?state=firing`);
  await page.waitForSelector(stuckCard);
  assert.equal(
    await page.locator('#alert-list [data-action="ack"], #alert-list [data-action="silence"]').count(),
    0,
  );
  assert.equal(await page.locator('#channels-table button').count(), 0);
  assert.equal(await page.locator('#nav-admin').count(), 0);
  assert.deepEqual(problems.errors, []);
});

/** The live event of an alert (the hub's payload: the whole alert). */
function change(a: AlertView) {
  return { type: 'alert_changed' as const, alert: a };
}

/**
 * A scripted alerts API on the page: /alerts, /silences and /channels answered from memory as
 * server/api/alerts.ts does; POST and DELETE requests recorded.
 */
async function scriptAlerts(page: Page) {
  const alerts: AlertView[] = [];
  const silences: Silence[] = [];
  const events = new Map<
    string,
    { id: number; alertId: number; fingerprint: string; at: number; type: string; detail: string }[]
  >();
  const posted: { path: string; body: unknown }[] = [];
  const deleted: string[] = [];
  const note = (fp: string, type: string, detail = '') => {
    const list = events.get(fp) ?? [];
    list.unshift({ id: list.length + 1, alertId: 1, fingerprint: fp, at: Date.now(), type, detail });
    events.set(fp, list);
  };
  const json = (route: Route, status: number, body: unknown) =>
    route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
  const silenceState = (s: Silence): Silence['state'] =>
    s.expiredAt !== null || s.endsAt <= Date.now()
      ? 'expired'
      : s.startsAt > Date.now()
        ? 'pending'
        : 'active';

  await page.route(/\/api\/v1\/(alerts|silences|channels)(\/|\?|$)/, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const path = url.pathname.replace('/api/v1', '');
    const method = req.method();
    if (method === 'GET' && path === '/alerts') {
      const state = url.searchParams.get('state');
      const items = alerts.filter((a) =>
        state === 'silenced' ? a.state !== 'resolved' && a.silencedBy !== null : a.state === state,
      );
      return json(route, 200, { items: [...items].reverse(), nextCursor: null });
    }
    let m = /^\/alerts\/([0-9a-f]{16})(\/ack)?$/.exec(path);
    if (m) {
      const a = alerts.find((x) => x.fingerprint === m![1]);
      if (!a) return json(route, 404, { error: { code: 'not_found', message: 'no alert' } });
      if (method === 'GET') return json(route, 200, { alert: a, events: events.get(a.fingerprint) ?? [] });
      const body = req.postDataJSON() as { comment: string };
      posted.push({ path, body });
      a.ack = { by: 'admin', at: Date.now(), comment: body.comment };
      note(a.fingerprint, 'acked', body.comment);
      return json(route, 200, { alert: a });
    }
    if (path === '/silences' && method === 'GET') {
      const state = url.searchParams.get('state');
      const items = silences
        .map((s) => ({ ...s, state: silenceState(s) }))
        .filter((s) => !state || s.state === state);
      return json(route, 200, { items, nextCursor: null });
    }
    if (path === '/silences' && method === 'POST') {
      const body = req.postDataJSON() as { matchers: Silence['matchers']; endsAt: number; comment: string };
      posted.push({ path, body });
      const s: Silence = {
        id: silences.length + 1,
        matchers: body.matchers,
        startsAt: Date.now(),
        endsAt: body.endsAt,
        createdBy: 'admin',
        comment: body.comment,
        createdAt: Date.now(),
        expiredAt: null,
        state: 'active',
      };
      silences.push(s);
      for (const a of alerts)
        if (a.state !== 'resolved' && s.matchers.every((x) => (a.labels[x.name] ?? '') === x.value)) {
          a.silencedBy = s.id;
          note(a.fingerprint, 'silenced', `silence ${s.id}`);
        }
      return json(route, 201, { silence: s });
    }
    m = /^\/silences\/(\d+)$/.exec(path);
    if (m && method === 'DELETE') {
      deleted.push(path);
      const s = silences.find((x) => x.id === Number(m[1]))!;
      s.expiredAt = Date.now();
      for (const a of alerts) if (a.silencedBy === s.id) a.silencedBy = null;
      return json(route, 200, { silence: { ...s, state: 'expired' } });
    }
    if (path === '/channels')
      return json(route, 200, { items: [{ name: 'ops-webhook', kind: 'webhook' }], nextCursor: null });
    if (path === '/channels/ops-webhook/test') {
      posted.push({ path, body: null });
      return json(route, 200, { channel: 'ops-webhook', ok: true });
    }
    return json(route, 404, { error: { code: 'not_found', message: `no route ${method} ${path}` } });
  });

  return {
    posted,
    deleted,
    get: (fp: string) => alerts.find((a) => a.fingerprint === fp)!,
    add(
      a: Pick<AlertView, 'fingerprint' | 'rule' | 'labels' | 'annotations'> & { startsAt: number },
    ): AlertView {
      const full: AlertView = {
        id: alerts.length + 1,
        state: 'firing',
        activeAt: a.startsAt,
        endsAt: null,
        silencedBy: null,
        inhibitedBy: null,
        ack: null,
        value: null,
        detail: a.annotations.summary ?? '',
        crawlId: 2,
        ...a,
      };
      alerts.push(full);
      note(a.fingerprint, 'pending');
      note(a.fingerprint, 'firing');
      note(a.fingerprint, 'notified', 'ops-webhook');
      return full;
    },
    resolve(fp: string) {
      const a = alerts.find((x) => x.fingerprint === fp)!;
      a.state = 'resolved';
      a.endsAt = Date.now();
      note(fp, 'resolved');
    },
  };
}

/** startWeb with a server option override (helpers.ts has none). */
async function startWebWith(
  t: TestContext,
  sim: Partial<SimulatorOptions> & { nodes: number },
  override: (o: ServerOptions) => ServerOptions,
) {
  const webDir = await builtWeb();
  const f = await startFixture(t, sim, (o) => override({ ...o, webDir }));
  const browser = await launch(t);
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  const problems = await watchProblems(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { f, page, problems };
}
