/**
 * The Nodes, Node, Relays and Admin views end to end in Chromium against a real server over a simulated
 * ring: a stale neighbour found through the Nodes filter, its mismatch highlighted on the Node page, its
 * logs pulled, searched, downloadable and listed; relays of the crawl; an admin creating a user and an
 * API token whose secret is shown once. Screenshots of each view in light and dark go to
 * test-artifacts/. Any console error or CSP violation fails the test.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { ServerOptions } from '../../server/server.js';
import type { SimulatorOptions } from '../../server/sim/run.js';
import type { RelayReport } from '../../server/store/types.js';
import { startFixture } from '../server/helpers.js';
import { builtWeb, launch, login, shot, sleep, startWeb, watchProblems } from './helpers.js';

const NODES = 24;

/** A full-page screenshot from the top (the sticky header stays where it belongs). */
const snap = async (page: Page, name: string) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, name);
};

test('views: nodes filter → node mismatch, log pull, relays, admin token shown once', async (t) => {
  const { f, page, problems } = await startWeb(t, { nodes: NODES, seed: 31 });
  await page.goto(`${f.url}/#/nodes`);
  await page.waitForSelector('#login-submit');
  await login(page);
  await page.waitForFunction(() => location.hash === '#/nodes');
  await page.waitForSelector(
    '#nodes-summary:has-text("No nodes yet"), .state-empty:has-text("No nodes yet")',
  );
  await f.crawl();
  // The list follows crawls live.
  await page.waitForSelector('#nodes-table');
  assert.equal(await page.locator('#nodes-table tbody tr').count(), NODES);

  // A stale right neighbour, persistent after 3 crawls.
  const fault = await f.inject({ kind: 'stale-neighbor', node: 4, side: 'right', peer: 17 });
  const node = fault.targetIds[0]!;
  const peer = f.sim.ring.nodeId(17);
  await sleep(300);
  await f.crawl();
  await f.crawl();
  await f.crawl();
  await page.waitForSelector('#chip-persistent .chip-count');
  await page.click('#chip-persistent');
  await page.waitForFunction(() => location.hash === '#/nodes?state=persistent');
  await page.waitForSelector('#nodes-summary:has-text("1 persistently inconsistent node")');
  await page.waitForSelector(`#nodes-table tr[data-key="${node}"]`);
  assert.equal(await page.getAttribute('#chip-persistent', 'aria-current'), 'true');
  assert.match(
    (await page.textContent(`#nodes-table tr[data-key="${node}"]`)) ?? '',
    /Persistently inconsistent/,
  );
  // Prefix search is URL state too.
  await page.fill('#node-prefix', node.slice(0, 6));
  await page.waitForFunction((p) => location.hash.includes(`prefix=${p}`), node.slice(0, 6));
  await page.waitForSelector(`#nodes-table tr[data-key="${node}"]`);
  await snap(page, 'nodes-light');

  // Clicking the row opens the node: the R1 mismatch highlighted, the peer it reports linked.
  await page.click(`#nodes-table tr[data-key="${node}"] td:nth-child(2)`);
  await page.waitForFunction((id) => location.hash === `#/nodes/${id}`, node);
  await page.waitForSelector('#neighbours-table');
  const r1 = '#neighbours-table tr[data-slot="R1"]';
  assert.equal(await page.getAttribute(r1, 'class'), 'mismatch');
  assert.match((await page.textContent(`${r1} .match-cell`)) ?? '', /Mismatch/);
  assert.equal(await page.getAttribute(`${r1} td:nth-child(3) a`, 'title'), peer);
  const ids = Array.from({ length: NODES }, (_, i) => f.sim.ring.nodeId(i)).sort();
  const successor = ids[(ids.indexOf(node) + 1) % NODES];
  assert.equal(await page.getAttribute(`${r1} td:nth-child(2) a`, 'title'), successor);
  // The left side is untouched by a stale right neighbour.
  assert.equal(await page.locator('#neighbours-table tr.mismatch[data-slot^="L"]').count(), 0);
  assert.match((await page.textContent('#node-head')) ?? '', /Persistently inconsistent/);
  assert.equal(await page.textContent('#node-id'), node);
  assert.ok((await page.locator('#findings-timeline li.open').count()) >= 1, 'open findings listed');
  assert.ok((await page.locator('#signals-timeline li.open').count()) >= 1, 'the persistence signal');
  assert.ok((await page.locator('#threads-table tbody tr').count()) >= 1, 'threads listed');
  await page.waitForSelector('#node-chart-memory canvas');
  await page.waitForSelector('#node-chart-bandwidth canvas');
  assert.match((await page.getAttribute('#node-chart-memory canvas', 'aria-label')) ?? '', /RSS: latest \d/);

  // The range is URL state.
  await page.click('#node-range-1h');
  await page.waitForFunction(() => location.hash.endsWith('?range=1h'));
  assert.equal(await page.getAttribute('#node-range-1h', 'aria-current'), 'true');
  await page.waitForSelector('#node-chart-memory canvas');

  // Pull logs: records in a table, filtered as you type, downloadable, listed as an earlier pull.
  await page.waitForSelector('#log-pulls .state-empty');
  await page.fill('#pull-tail', '40');
  await page.click('#pull-submit');
  await page.waitForSelector('#log-table tbody tr');
  const rows = await page.locator('#log-table tbody tr').count();
  assert.ok(rows > 0 && rows <= 40, `${rows} records`);
  assert.match((await page.textContent('#pull-status')) ?? '', new RegExp(`Pulled ${rows} records`));
  const firstMsg = ((await page.textContent('#log-table tbody tr:first-child .log-msg')) ?? '').trim();
  const word = firstMsg.split(/\s+/).find((w) => w.length >= 4) ?? firstMsg;
  await page.fill('#log-filter', word);
  await page.waitForFunction(() =>
    /match$/.test(document.getElementById('log-filter-count')?.textContent ?? ''),
  );
  const filtered = await page.locator('#log-table tbody tr').count();
  assert.ok(filtered >= 1 && filtered <= rows);
  for (const text of await page.locator('#log-table tbody tr').allTextContents())
    assert.ok(text.toLowerCase().includes(word.toLowerCase()), `${text} should contain ${word}`);
  await page.fill('#log-filter', 'no-such-text-in-any-record');
  await page.waitForFunction(() => document.querySelectorAll('#log-table tbody tr').length === 0);
  await page.fill('#log-filter', '');
  assert.match((await page.getAttribute('#log-download-json', 'href')) ?? '', /^blob:/);
  assert.match((await page.getAttribute('#log-download-text', 'download')) ?? '', /\.txt$/);
  const download = page.waitForEvent('download');
  await page.click('#log-download-json');
  const file = await (await download).path();
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { records: unknown[]; nodeKey: string };
  assert.equal(saved.nodeKey, node);
  assert.equal(saved.records.length, rows);
  await page.waitForSelector('#log-pulls-table tr[data-pull]');
  // Open the earlier pull from the list.
  await page.click('#log-pulls-table tr[data-pull] button');
  await page.waitForSelector('#log-result-title:has-text("Pull #")');
  await snap(page, 'node-light');

  // Relays of the latest crawl (20 % of the simulated nodes are behind NAT).
  await page.click('#nav-relays');
  await page.waitForSelector('#relay-stats .stat');
  await page.waitForSelector('#relays-table, #relay-ranking .state-empty');
  const relayed = Number(((await page.textContent('#stat-relayed .stat-value')) ?? '').replace(/,/g, ''));
  const report = (await f.api('/api/v1/relays', { role: 'viewer' })) as { body: RelayReport };
  assert.equal(relayed, report.body.relayedConnections);
  assert.equal(await page.locator('#relays-table tbody tr').count(), report.body.relays.length);
  // The crawl picker: an older crawl is URL state.
  const older = report.body.crawlId - 1;
  await page.selectOption('#relay-crawl', String(older));
  await page.waitForFunction((c) => location.hash === `#/relays?crawl=${c}`, older);
  await page.waitForSelector(`#relays-status:has-text("Crawl #${older}")`);
  await snap(page, 'relays-light');

  // Admin: password rule enforced before sending, then a user and a token.
  await page.click('#nav-admin');
  await page.waitForSelector('#users-table');
  await page.fill('#user-name', 'alice');
  await page.fill('#user-password', 'short');
  await page.click('#user-create');
  assert.match((await page.textContent('#users-msg')) ?? '', /at least 12 characters/);
  await page.fill('#user-password', 'a-long-enough-passphrase');
  await page.selectOption('#user-role', 'operator');
  await page.click('#user-create');
  await page.waitForSelector('#users-table tr[data-user="alice"]');
  assert.equal(await page.inputValue('#users-table tr[data-user="alice"] select'), 'operator');

  await page.fill('#token-name', 'grafana');
  await page.selectOption('#token-role', 'viewer');
  await page.click('#token-create');
  await page.waitForSelector('#token-secret');
  const secret = ((await page.textContent('#token-secret')) ?? '').trim();
  assert.match(secret, /^rw_[A-Za-z0-9_-]{20,}$/);
  assert.match((await page.textContent('#token-secret-box')) ?? '', /shown only this once/);
  await page.waitForSelector('#tokens-table tr th:has-text("grafana")');
  // The secret works (as a viewer) …
  const me = (await f.api('/api/v1/auth/me', { token: secret })) as { body: { principal: { role: string } } };
  assert.equal(me.body.principal.role, 'viewer');
  await page.waitForSelector('#audit-table tr[data-action="token.create"]');
  await snap(page, 'admin-light');
  // … and is never shown again.
  await page.click('#token-secret-done');
  assert.equal(await page.locator('#token-secret').count(), 0);
  await page.reload();
  await page.waitForSelector('#tokens-table');
  assert.ok(!((await page.content()) ?? '').includes(secret), 'the secret is gone for good');

  assert.deepEqual(problems.errors, []);

  // Dark mode: each view again (Auto → Light → Dark).
  await page.click('#theme-toggle');
  await page.click('#theme-toggle');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  await page.waitForSelector('#audit-table');
  await snap(page, 'admin-dark');
  await page.goto(`${f.url}/#/nodes`);
  await page.waitForSelector('#nodes-table');
  await page.waitForSelector('#chip-persistent .chip-count');
  await snap(page, 'nodes-dark');
  await page.goto(`${f.url}/#/nodes/${node}`);
  await page.waitForSelector('#node-chart-memory canvas');
  await page.waitForSelector('#log-pulls-table');
  await snap(page, 'node-dark');
  await page.goto(`${f.url}/#/relays`);
  await page.waitForSelector('#relay-stats .stat');
  await sleep(200);
  await snap(page, 'relays-dark');

  // Keyboard: the nav reaches Admin, and the focus is visible (an outline).
  await page.focus('#nav-alerts');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'nav-admin');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  assert.equal(outline, 'solid');
  assert.deepEqual(problems.errors, []);
});

test('views: a viewer sees no Admin nav and no pull form; a refused pull is explained', async (t) => {
  // The agents expect another token than the server sends: every pull is refused (agent_auth_failed).
  const { f, page, problems } = await startWebWith(
    t,
    { nodes: 110, seed: 5 },
    (o) => ({ ...o, agents: { ...o.agents, logToken: 'not-the-agents-token' } }),
    'dark',
  );
  const id = f.sim.ring.nodeId(2);
  await f.crawl();
  const created = await f.api('/api/v1/users', {
    method: 'POST',
    body: { username: 'vera', password: 'viewer-passphrase-1', role: 'viewer' },
  });
  assert.equal(created.status, 201);
  // Pages of 100 nodes: next, then back.
  await page.goto(`${f.url}/#/nodes`);
  await page.waitForSelector('#login-submit');
  await login(page, 'vera', 'viewer-passphrase-1');
  await page.waitForSelector('#nodes-table');
  assert.equal(await page.locator('#nodes-table tbody tr').count(), 100);
  assert.equal(await page.isDisabled('#nodes-prev'), true);
  const firstKey = await page.getAttribute('#nodes-table tbody tr:first-child', 'data-key');
  await page.click('#nodes-next');
  await page.waitForFunction(() => location.hash.startsWith('#/nodes?cursor='));
  await page.waitForFunction(() => document.querySelectorAll('#nodes-table tbody tr').length === 10);
  assert.equal(await page.isDisabled('#nodes-next'), true);
  await page.click('#nodes-prev');
  await page.waitForFunction(() => document.querySelectorAll('#nodes-table tbody tr').length === 100);
  assert.equal(await page.getAttribute('#nodes-table tbody tr:first-child', 'data-key'), firstKey);

  await page.goto(`${f.url}/#/nodes/${id}`);
  await page.waitForSelector('#neighbours-table');
  assert.equal(await page.locator('#nav-admin').count(), 0, "no Admin in a viewer's nav");
  assert.equal(await page.locator('#nav-nodes').count(), 1);
  assert.equal(await page.locator('#pull-form').count(), 0, 'viewers cannot pull logs');
  await page.waitForSelector('#log-pulls .state-empty:has-text("An operator can pull")');
  await page.goto(`${f.url}/#/admin`);
  await page.waitForSelector('main .state-empty:has-text("Not allowed")');
  await page.click('#user-menu summary');
  await page.click('#logout');
  await page.waitForSelector('#login-submit');

  await login(page);
  await page.goto(`${f.url}/#/nodes/${id}`);
  await page.waitForSelector('#pull-form');
  await page.fill('#pull-tail', '0');
  await page.click('#pull-submit');
  assert.match((await page.textContent('#pull-status')) ?? '', /whole number from 1 to 10,000/);
  assert.equal(await page.getAttribute('#pull-tail', 'aria-invalid'), 'true');
  await page.fill('#pull-tail', '20');
  await page.click('#pull-submit');
  await page.waitForSelector('#pull-status .notice-error');
  assert.match((await page.textContent('#pull-status')) ?? '', /refused Ringwatch's log token/);
  await snap(page, 'node-pull-refused-dark');
  // The browser logs the failed request (HTTP 502) itself; nothing else went wrong.
  assert.deepEqual(
    problems.errors.filter((e) => !(/status of 502/.test(e) && new RegExp(`/nodes/${id}/logs`).test(e))),
    [],
  );
});

/** startWeb with a server option override (helpers.ts has none). */
async function startWebWith(
  t: TestContext,
  sim: Partial<SimulatorOptions> & { nodes: number },
  override: (o: ServerOptions) => ServerOptions,
  colorScheme: 'light' | 'dark' = 'light',
) {
  const webDir = await builtWeb();
  const f = await startFixture(t, sim, (o) => override({ ...o, webDir }));
  const browser = await launch(t);
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme,
    reducedMotion: 'reduce',
  });
  const problems = await watchProblems(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { f, page, problems };
}
