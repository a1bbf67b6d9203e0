/**
 * A ring above the large-ring threshold (2,000 nodes) in Chromium: the first frame is the overview layer
 * (the ring band drawn on our own canvas before cytoscape has any element), then every node is handed to
 * cytoscape; a live delta that arrives while the page loads is applied to the model and shows up once
 * the nodes are in. Any console error (a duplicate or dangling cytoscape element throws) fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { login, shot, sleep, startWeb } from './helpers.js';

const NODES = 2100;

/** Opaque pixels on the overview canvas (the ring band and its markers). */
const overviewInk = `(() => {
  const c = document.querySelector('canvas.ring-overview');
  if (!c || c.width === 0) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
})()`;

const mark = (name: string) => `performance.getEntriesByName(${JSON.stringify(name)}).length`;

test('large ring: overview frame first, then every node; a crawl finishing while the page loads is shown', async (t) => {
  const { f, page, problems } = await startWeb(t, { nodes: NODES, seed: 7, stabilizeMs: 5000 });
  const first = await f.crawl();
  await page.goto(`${f.url}/#/ring`);
  await page.waitForSelector('#login-submit');
  await login(page);
  await page.waitForFunction(() => location.hash === '#/ring');

  // A stale neighbour crawled while the page loads: its delta may land before or after the nodes are in.
  const fault = await f.inject({ kind: 'stale-neighbor', node: 40, side: 'right', peer: 900 });
  const second = f.crawl();

  await page.waitForFunction(mark('ringwatch:ring-painted'), null, { timeout: 60_000 });
  assert.ok(((await page.evaluate<number>(overviewInk)) ?? 0) > 500, 'the first frame shows the ring band');
  await page.waitForFunction(mark('ringwatch:ring-ready'), null, { timeout: 60_000 });
  const [painted, ready] = await page.evaluate<number[]>(
    `['ringwatch:ring-painted', 'ringwatch:ring-ready'].map((n) => performance.getEntriesByName(n)[0].startTime)`,
  );
  assert.ok(painted! <= ready!, `painted at ${painted}, every node drawn at ${ready}`);

  const id = await second;
  assert.ok(id > first);
  await page.waitForSelector(`#ring-canvas[data-crawl="${id}"]`, { timeout: 30_000 });
  const row = `#unhealthy-table tr[data-key="${fault.targetIds[0]}"]`;
  await page.waitForSelector(row);
  assert.equal((await page.textContent(`${row} .health-cell`))?.trim(), 'Inconsistent');
  assert.match(
    (await page.textContent('#ring-status')) ?? '',
    new RegExp(`${NODES.toLocaleString('en')} nodes`),
  );

  // Selecting the node zooms onto it in cytoscape: its tooltip proves the node element exists.
  await page.fill('#node-search', fault.targetIds[0]!.slice(0, 10));
  await page.press('#node-search', 'Enter');
  await page.waitForSelector('#ring-selection:not([hidden])');
  const box = (await page.locator('#ring-canvas').boundingBox())!;
  // Right after a zoom, a large ring's cytoscape redraws its texture and answers the pointer once that is
  // done (a fraction of a second): the pointer keeps moving over the node until the tooltip shows.
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  for (let i = 0; i < 50 && (await page.locator('#ring-tooltip').isHidden()); i++) {
    await page.mouse.move(cx + (i % 2 ? 1 : -1), cy, { steps: 2 });
    await sleep(200);
  }
  await page.waitForSelector('#ring-tooltip:not([hidden])');
  assert.match((await page.textContent('#ring-tooltip')) ?? '', new RegExp(fault.targetIds[0]!.slice(0, 12)));
  await shot(page, 'ring-large-selected');
  assert.deepEqual(problems.errors, []);
});
