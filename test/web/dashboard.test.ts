/**
 * The dashboard end to end in Chromium against a real server over a simulated ring: sign in, an empty
 * ring filled live by the first crawl, a stale neighbour turning a node inconsistent then persistent
 * live, selection with neighbours and disagreeing nodes, time travel to an earlier crawl, dark mode,
 * sign out, and the server going away. Any console error or CSP violation fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, shot, sleep, startWeb } from './helpers.js';

const NODES = 24;

test('dashboard: live ring, stale neighbour goes inconsistent then persistent, time travel', async (t) => {
  const { f, page, problems } = await startWeb(t, { nodes: NODES, seed: 31 });

  // Signed out: any route lands on the login page and comes back after signing in.
  await page.goto(`${f.url}/#/ring`);
  await page.waitForSelector('#login-submit');
  assert.match(page.url(), /#\/login\?next=/);
  await shot(page, 'login-light');
  await login(page);
  await page.waitForFunction(() => location.hash === '#/ring');

  // No crawl yet: the empty state, then the first crawl draws the ring live.
  await page.waitForSelector('#ring-status:has-text("Waiting for the first crawl")');
  await page.waitForSelector('.ring-overlay:has-text("No crawl yet")');
  const first = await f.crawl();
  await page.waitForSelector(`#ring-canvas[data-crawl="${first}"]`);
  assert.equal(await page.textContent('#unhealthy summary'), `Unhealthy nodes (0 of ${NODES})`);
  await shot(page, 'ring-light');

  // A stale right neighbour: inconsistent at the next crawl, persistent at the 3rd, all live.
  const fault = await f.inject({ kind: 'stale-neighbor', node: 4, side: 'right', peer: 17 });
  const node = fault.targetIds[0]!;
  const peer = f.sim.ring.nodeId(17);
  await sleep(300);
  const second = await f.crawl();
  await page.waitForSelector(`#ring-canvas[data-crawl="${second}"]`);
  const row = `#unhealthy-table tr[data-key="${node}"]`;
  assert.equal((await page.textContent(`${row} .health-cell`))?.trim(), 'Inconsistent');
  await f.crawl();
  const fourth = await f.crawl();
  await page.waitForSelector(`#ring-canvas[data-crawl="${fourth}"]`);
  assert.equal((await page.textContent(`${row} .health-cell`))?.trim(), 'Persistently inconsistent');
  assert.equal(await page.textContent('#live-status'), 'Live');

  // Search by ID prefix selects it: URL state, its card, the peer that disagrees with it.
  await page.fill('#node-search', node.slice(0, 8));
  await page.press('#node-search', 'Enter');
  await page.waitForFunction((id) => location.hash.includes(`node=${id}`), node);
  await page.waitForSelector('#ring-selection:not([hidden])');
  assert.match((await page.textContent('#disagreeing')) ?? '', new RegExp(peer.slice(0, 12)));
  await shot(page, 'ring-selected-light');

  // The selected node is centred: hovering it shows its tooltip, clicking opens its page.
  const box = (await page.locator('#ring-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('#ring-tooltip:not([hidden])');
  assert.match((await page.textContent('#ring-tooltip')) ?? '', new RegExp(node.slice(0, 12)));
  assert.match((await page.textContent('#ring-tooltip')) ?? '', /Persistently inconsistent/);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction((id) => location.hash === `#/nodes/${id}`, node);
  await page.goBack();
  await page.waitForSelector('#ring-selection:not([hidden])');

  // Edge toggles are URL state too.
  await page.uncheck('#edge-near');
  await page.waitForFunction(() => location.hash.includes('edges='));
  assert.ok(!page.url().includes('near'));

  // Time travel: the crawl list, then the ring as it was at the first crawl (before the fault).
  await page.click('#nav-crawls');
  await page.waitForSelector(`#crawls-table tr[data-crawl="${first}"]`);
  assert.equal(await page.locator('#crawls-table tbody tr').count(), 4);
  await shot(page, 'crawls-light');
  await page.click(`#crawls-table tr[data-crawl="${first}"] th a`);
  await page.waitForSelector(`#ring-canvas[data-crawl="${first}"]`);
  assert.match(page.url(), new RegExp(`#/ring\\?crawl=${first}$`));
  assert.equal(await page.textContent('#unhealthy summary'), `Unhealthy nodes (0 of ${NODES})`);
  assert.match((await page.textContent('#ring-status')) ?? '', /Time travel/);
  // A crawl while time travelling changes nothing on screen.
  await f.crawl();
  await sleep(300);
  assert.equal(await page.getAttribute('#ring-canvas', 'data-crawl'), String(first));

  // The slider, by keyboard: Home then Enter opens the oldest crawl with a topology.
  await page.click('#nav-crawls');
  await page.waitForSelector('#time-slider');
  await page.focus('#time-slider');
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /#\/ring\?crawl=\d+$/.test(location.hash));
  await page.waitForSelector(`#ring-canvas[data-crawl="${fourth}"]`);

  // Overview with the range in the URL.
  await page.goto(`${f.url}/#/overview?range=1h`);
  await page.waitForSelector('#stat-nodes');
  assert.equal(await page.getAttribute('#range-1h', 'aria-current'), 'true');
  await page.waitForSelector('#chart-nodes canvas');
  assert.match((await page.textContent('#stat-nodes .stat-value')) ?? '', new RegExp(`${NODES} / ${NODES}`));
  await shot(page, 'overview-light');

  // Dark mode by the toggle (persisted): Auto → Light → Dark.
  await page.click('#theme-toggle');
  await page.click('#theme-toggle');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  await sleep(300);
  await shot(page, 'overview-dark');
  await page.reload();
  await page.waitForSelector('#stat-nodes');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  await page.goto(`${f.url}/#/ring?node=${node}`);
  await page.waitForSelector(`#ring-canvas[data-crawl]`);
  await page.waitForSelector('#ring-selection:not([hidden])');
  await sleep(300);
  await shot(page, 'ring-dark');
  await page.click('#nav-crawls');
  await page.waitForSelector('#crawls-table');
  await shot(page, 'crawls-dark');

  assert.deepEqual(problems.errors, []);

  // Sign out: back to the login page; the API refuses the old session.
  await page.click('#user-menu summary');
  await page.click('#logout');
  await page.waitForSelector('#login-submit');
  await shot(page, 'login-dark');
  assert.deepEqual(problems.errors, []);
});

test('dashboard: follows a dark OS, shows the server going away and an unknown crawl', async (t) => {
  // Slow answers, so a crawl lasts long enough to watch its progress.
  const { f, page, problems } = await startWeb(
    t,
    { nodes: 12, seed: 32, answerDelay: 300 },
    { colorScheme: 'dark' },
  );
  await page.goto(`${f.url}/#/overview`);
  await login(page);
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  await page.waitForSelector('#overview-stats:has-text("No crawl yet")');

  // A crawl runs: the live progress bar, then the figures.
  const running = f.crawl();
  await page.waitForSelector('#crawl-progress:not([hidden]) progress');
  assert.match(
    (await page.textContent('#crawl-progress')) ?? '',
    /Crawl #1 running: \d+ of \d+ endpoints visited/,
  );
  await shot(page, 'overview-crawling-dark');
  await running;
  await page.waitForSelector('#crawl-progress[hidden]', { state: 'attached' });
  await page.waitForSelector('#stat-nodes');
  assert.match((await page.textContent('#stat-nodes .stat-value')) ?? '', /12 \/ 12/);

  // A crawl that does not exist: an explained empty state, not a broken page.
  problems.allow(/status of 404 .*\/api\/v1\/crawls\/999\/topology(\?connections=false)?\)$/);
  await page.goto(`${f.url}/#/ring?crawl=999`);
  await page.waitForSelector('.ring-overlay:has-text("Crawl 999 cannot be shown")');
  assert.deepEqual(problems.errors, []);

  // The server goes away: the live status says so and views show the error with a retry.
  problems.stop(); // the browser now logs failed requests and socket errors, as it should
  await page.goto(`${f.url}/#/crawls`);
  await page.waitForSelector('#crawls-table');
  await f.server.close();
  await page.waitForSelector('#live-status:is(.conn-reconnecting, .conn-offline)');
  await page.click('#nav-ring');
  await page.waitForSelector('.state-error:has-text("cannot be reached")');
  await page.waitForSelector('.state-error button:has-text("Try again")');
  await shot(page, 'server-down-dark');
});
