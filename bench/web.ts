/**
 * Dashboard benchmark (issue 6): a 10k-node converged simulated ring crawled by a real server that serves
 * the built dashboard, driven in Debian's Chromium. Measures, medians of several runs:
 *   - first paint of the Ring view (navigation start → first cytoscape frame; target ≤ 3 s),
 *   - frame times while panning and zooming with the mouse,
 *   - in-page time to apply a live delta of 1,000 changed nodes (target ≤ 200 ms): a crawl_finished
 *     event with exactly 1,000 state changes published through the server's live hub, over socket.io.
 * Writes the figures to bench/RESULTS.md under "## Dashboard (browser)".
 *   node --import tsx bench/web.ts [--quick | --nodes N --runs R]
 * (--quick: 2k nodes, 2 runs; only the default 10k × 5 runs writes RESULTS.md)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.js';
import { systemClock } from '../server/core/clock.js';
import { startServer, type RingwatchServer } from '../server/server.js';
import type { CrawlDelta } from '../server/store/index.js';
import { crawlSummary } from '../test/alert/engine-helpers.js';
import { baseOptions, ADMIN_PASSWORD } from '../test/server/helpers.js';
import { ROOT, fmt, median, spawnRingwatch } from './lib.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const quick = process.argv.includes('--quick');
const NODES = arg('--nodes') ?? (quick ? 2000 : 10_000);
const RUNS = arg('--runs') ?? (quick ? 2 : 5);
/** Only the standard run (10k nodes, 5 runs) goes into RESULTS.md. */
const RECORD = NODES === 10_000 && RUNS >= 5;
const CHANGED = Math.min(1000, NODES / 2);

interface Ready {
  seeds: string[];
  control: string;
  nodes: number;
}

const log = (msg: string) => console.error(`[bench:web] ${msg}`);

/** CPU seconds used so far by every Chromium process (browser, renderers, GPU, services). */
async function chromiumCpu(browser: Browser): Promise<number> {
  const s = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await s.send('SystemInfo.getProcessInfo')) as {
      processInfo: { cpuTime: number }[];
    };
    return processInfo.reduce((a, p) => a + p.cpuTime, 0);
  } finally {
    await s.detach();
  }
}

async function openRing(
  browser: Browser,
  context: BrowserContext,
  url: string,
): Promise<{
  page: Page;
  paintMs: number;
  readyMs: number;
  fetchMs: number;
  buildMs: number;
  cpuS: number;
}> {
  const page = await context.newPage();
  const cpu0 = await chromiumCpu(browser);
  await page.goto(`${url}/#/ring`);
  await page.waitForFunction(() => performance.getEntriesByName('ringwatch:ring-painted').length > 0, null, {
    timeout: 120_000,
  });
  // Strings, not functions: tsx would wrap inner arrow functions in a helper the page does not have.
  const cpuS = (await chromiumCpu(browser)) - cpu0;
  // Interactive: cytoscape has drawn every node (hover and click on any node work).
  await page.waitForFunction(() => performance.getEntriesByName('ringwatch:ring-ready').length > 0, null, {
    timeout: 120_000,
  });
  const marks = await page.evaluate<{
    painted: number;
    ready: number;
    loaded: number;
    built: number;
  }>(`(() => {
    const at = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
    return { painted: at('ringwatch:ring-painted'), ready: at('ringwatch:ring-ready'), loaded: at('ringwatch:topology-loaded'), built: at('ringwatch:graph-built') };
  })()`);
  return {
    page,
    paintMs: marks.painted,
    readyMs: marks.ready,
    fetchMs: marks.loaded,
    buildMs: marks.built - marks.loaded,
    cpuS,
  };
}

/** Frame intervals (ms) recorded by requestAnimationFrame while the mouse pans and zooms the ring. */
async function panZoom(page: Page): Promise<number[]> {
  await page.evaluate(`(() => {
    const gen = (window.__gen = (window.__gen || 0) + 1);
    window.__frames = [];
    const tick = (t) => {
      if (window.__gen !== gen) return;
      window.__frames.push(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const box = (await page.locator('#ring-canvas').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 250, cy + 120, { steps: 40 });
  await page.mouse.move(cx - 150, cy - 80, { steps: 40 });
  await page.mouse.up();
  for (let i = 0; i < 12; i++) await page.mouse.wheel(0, i < 6 ? -240 : 240);
  await page.waitForTimeout(300);
  const frames = await page.evaluate<number[]>(`(() => {
    window.__gen++;
    return window.__frames;
  })()`);
  return frames.slice(1).map((t, i) => t - frames[i]!);
}

/** Publish a crawl_finished whose delta flips exactly `n` nodes' state, as the pipeline would. */
function publishFlip(server: RingwatchServer, keys: string[], from: number, to: number, bad: boolean) {
  const delta: CrawlDelta = {
    crawlId: to,
    previousCrawlId: from,
    nodesAdded: [],
    nodesRemoved: [],
    nodesChanged: keys.map((key) => ({
      key,
      from: bad ? 'ok' : 'inconsistent',
      to: bad ? 'inconsistent' : 'ok',
    })),
    edgesAdded: [],
    edgesRemoved: [],
    findingsOpened: [],
    findingsClosed: [],
  };
  const summary = crawlSummary({
    crawlId: to,
    startedAt: Date.now(),
    discovered: NODES,
    reachable: NODES,
    mainRingSize: NODES,
    consistency: bad ? 0.9 : 1,
  });
  server.hub.publish({ type: 'crawl_finished', summary, delta, signals: [] });
}

async function deltaRun(
  page: Page,
  server: RingwatchServer,
  keys: string[],
  from: number,
  to: number,
  bad: boolean,
) {
  const before = await page.evaluate(() => performance.getEntriesByName('ringwatch:delta-paint').length);
  publishFlip(server, keys, from, to, bad);
  await page.waitForFunction(
    (n) => performance.getEntriesByName('ringwatch:delta-paint').length > n,
    before,
    {
      timeout: 60_000,
    },
  );
  return await page.evaluate<{ apply: number; paint: number }>(`(() => {
    const last = (n) => performance.getEntriesByName(n).at(-1).duration;
    return { apply: last('ringwatch:delta-apply'), paint: last('ringwatch:delta-paint') };
  })()`);
}

function writeResults(section: string) {
  const file = join(ROOT, 'bench', 'RESULTS.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('## Dashboard (browser)');
  let out: string;
  if (start < 0) out = `${text.trimEnd()}\n\n${section}`;
  else {
    const next = text.indexOf('\n## ', start + 3);
    out = text.slice(0, start) + section + (next < 0 ? '' : `\n${text.slice(next + 1)}`);
  }
  writeFileSync(file, out.endsWith('\n') ? out : `${out}\n`);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-web-'));
  const webDir = join(dir, 'web');
  await buildWeb({ outdir: webDir, logLevel: 'error' });
  log(`starting a ${NODES}-node converged simulator`);
  const sim = await spawnRingwatch<Ready>([
    'sim',
    '--nodes',
    String(NODES),
    '--bootstrap',
    'converged',
    '--stabilize-ms',
    '5000',
  ]);
  const base = baseOptions(join(dir, 'ringwatch.db'), sim.ready.seeds);
  const server = await startServer(
    { ...base, webDir, crawl: { ...base.crawl, concurrency: 256, timeoutMs: 5000 } },
    { clock: systemClock(), logger: pino({ level: 'silent' }) },
  );
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    log('first crawl');
    const s = await server.control.run();
    log(`crawl #${s.crawlId}: ${s.reachable}/${s.discovered} reachable in ${fmt(s.durationMs / 1000, 1)} s`);
    // The rest measures the dashboard: the simulator's protocol work would only compete for the cores.
    await sim.stop();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const login = await context.newPage();
    await login.goto(`${server.url}/#/login`);
    await login.fill('#username', 'admin');
    await login.fill('#password', ADMIN_PASSWORD);
    await login.click('#login-submit');
    await login.waitForSelector('#live-status.conn-live');
    await login.close();

    const paints: number[] = [];
    const readies: number[] = [];
    const fetches: number[] = [];
    const builds: number[] = [];
    const cpus: number[] = [];
    let page: Page | null = null;
    for (let i = 0; i < RUNS; i++) {
      if (page) await page.close();
      const r = await openRing(browser, context, server.url);
      page = r.page;
      paints.push(r.paintMs);
      readies.push(r.readyMs);
      fetches.push(r.fetchMs);
      builds.push(r.buildMs);
      cpus.push(r.cpuS);
      log(
        `first paint ${fmt(r.paintMs)} ms, every node interactive at ${fmt(r.readyMs)} ms (topology in ${fmt(r.fetchMs)} ms, graph built in ` +
          `${fmt(r.buildMs)} ms; Chromium CPU ${fmt(r.cpuS, 2)} s)`,
      );
    }
    const p = page!;
    await p.waitForSelector('#live-status.conn-live');

    const frameMedians: number[] = [];
    const frameP95s: number[] = [];
    let frameMax = 0;
    for (let i = 0; i < RUNS; i++) {
      const iv = (await panZoom(p)).sort((a, b) => a - b);
      frameMedians.push(median(iv));
      frameP95s.push(iv[Math.floor(iv.length * 0.95)] ?? NaN);
      frameMax = Math.max(frameMax, iv.at(-1) ?? 0);
      log(
        `pan/zoom: ${iv.length} frames, median ${fmt(median(iv), 1)} ms, p95 ${fmt(frameP95s.at(-1)!, 1)} ms`,
      );
    }

    const keys = (await server.pipeline.store.topologyAt(s.crawlId, { connections: false }))!.nodes
      .map((n) => n.key)
      .filter((_, i, all) => i % Math.floor(all.length / CHANGED) === 0)
      .slice(0, CHANGED);
    const applies: number[] = [];
    const paintsDelta: number[] = [];
    let crawl = s.crawlId;
    for (let i = 0; i < RUNS * 2; i++) {
      const r = await deltaRun(p, server, keys, crawl, crawl + 1, i % 2 === 0);
      crawl++;
      applies.push(r.apply);
      paintsDelta.push(r.paint);
      log(
        `delta of ${keys.length} changed nodes: applied in ${fmt(r.apply, 1)} ms, painted after ${fmt(r.paint, 1)} ms`,
      );
      if (i === 0) {
        // A look at the large ring with its changed nodes inconsistent (test-artifacts/ is git-ignored).
        mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
        await p.click('button[aria-label="Fit the ring"]');
        await p.waitForTimeout(500);
        await p.screenshot({ path: join(ROOT, 'test-artifacts', `bench-ring-${NODES}.png`) });
      }
    }
    const ok = (v: number, target: number) => (v <= target ? 'yes' : 'no');
    const section = [
      `## Dashboard (browser) (\`bench/web.ts\`, ${new Date().toISOString().slice(0, 10)})`,
      '',
      `Debian Chromium ${browser.version()} (headless, software rendering, 1440×900, pixel ratio 1) on the same`,
      `2-core VM, shared with the server (in the benchmark process, serving the minified bundle) and whatever`,
      `else runs there. A ${fmt(NODES)}-node converged simulator is crawled once, then stopped. Above 2,000`,
      `nodes only L1/R1 lines are drawn. Medians of ${RUNS} runs (${RUNS * 2} for deltas).`,
      '',
      '| measure | median | target | met? |',
      '|---|---|---|---|',
      `| Ring view first paint (navigation → first frame) | ${fmt(median(paints))} ms | ≤ 3,000 ms | ${ok(median(paints), 3000)} |`,
      `| … of which topology fetched and parsed (since navigation) | ${fmt(median(fetches))} ms | | |`,
      `| … of which ring model built | ${fmt(median(builds))} ms | | |`,
      `| Every node drawn by cytoscape (hover and click on any node) | ${fmt(median(readies))} ms | | |`,
      `| Chromium CPU time (all processes, both cores) from navigation until the first paint was seen | ${fmt(median(cpus), 2)} s | | |`,
      `| Pan/zoom frame time, median | ${fmt(median(frameMedians), 1)} ms | | |`,
      `| Pan/zoom frame time, p95 (worst frame ${fmt(frameMax)} ms) | ${fmt(median(frameP95s), 1)} ms | | |`,
      `| Live delta of ${fmt(keys.length)} changed nodes, applied (model + graph) | ${fmt(median(applies), 1)} ms | ≤ 200 ms | ${ok(median(applies), 200)} |`,
      `| … until the next frame is drawn | ${fmt(median(paintsDelta), 1)} ms | | |`,
      '',
      'First paint includes loading the bundle, the session check, GET /summary, GET',
      '/crawls/:id/topology?connections=false (nodes and ring-slot edges; the connection edges load after the',
      'first paint) and the first frame of the ring. Above 2,000 nodes that frame is the overview layer (a canvas',
      'of our own: the ring band and a marker per unhealthy node, which is what "fit" zoom shows, since nodes are',
      'sub-pixel there); cytoscape gets the nodes right after it and the ring lines after their first frame',
      '("every node drawn" above). Pan/zoom drives the real mouse',
      '(drag, then wheel); while the viewport moves, large rings draw a cached texture and hide edges. The',
      'delta is a `crawl:finished` published through the live hub with exactly that many state changes (ok ↔ inconsistent),',
      'measured in the page with the User Timing marks of web/src/views/ring.ts.',
      '',
      'Where the time goes (CPU profile of cytoscape alone on this VM): adding 10k nodes costs ~0.5 s and',
      'their first frame ~2 s (style resolution, bounding boxes, element texture caches, GC); 10k ring lines',
      'add ~2 s more, which is why the page draws them after the nodes. Redrawing after a data change',
      'repaints every element in software (no GPU here): the applied-delta figure is the page work, the',
      'next-frame figure is that full redraw. cytoscape’s WebGL renderer crashed the headless GPU process',
      'here, so it is not used. Zoomed out, an overview layer draws the ring as a band with a marker per',
      'unhealthy node (nodes are sub-pixel at that zoom), and those markers take hover and click.',
      '',
    ].join('\n');
    if (RECORD) writeResults(section);
    console.log(section);
  } finally {
    await browser.close();
    await server.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
