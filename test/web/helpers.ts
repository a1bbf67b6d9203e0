/**
 * Browser-test fixtures: the dashboard built once per process into a temp dir, a real Ringwatch server
 * (test/server/helpers.ts startFixture) serving it, and Debian's Chromium driven by playwright-core.
 * Every page records console errors, page errors and CSP violations so a test can fail on any of them.
 */
import type { TestContext } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { ADMIN_PASSWORD, startFixture, type ServerFixture } from '../server/helpers.js';
import type { SimulatorOptions } from '../../server/sim/run.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let built: Promise<string> | null = null;

/** The dashboard built into a temp dir (once per process; removed at exit). */
export function builtWeb(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-web-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await buildWeb({ outdir: dir, logLevel: 'error' });
    return dir;
  })();
  return built;
}

export async function launch(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  return browser;
}

/** What went wrong in a page: console errors, uncaught errors, CSP violations. */
export interface Problems {
  errors: string[];
  /** Stop recording (before deliberately breaking the server). */
  stop(): void;
  /** Do not count errors matching this (a failed request the test provokes on purpose). */
  allow(pattern: RegExp): void;
}

/**
 * Record problems of every page of a context. A 401 on the session probe (/auth/me) before signing in is
 * expected (the browser logs the failed request) and is not a problem.
 */
export async function watchProblems(context: BrowserContext): Promise<Problems> {
  const errors: string[] = [];
  const allowed: RegExp[] = [];
  let on = true;
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (!on || m.type() !== 'error') return;
      const text = m.text();
      const url = m.location().url;
      if (/status of 401/.test(text) && /\/api\/v1\/auth\/me$/.test(url)) return;
      const line = `console: ${text} (${url})`;
      if (!allowed.some((re) => re.test(line))) errors.push(line);
    });
    page.on('pageerror', (err) => {
      if (on) errors.push(`pageerror: ${err.message}`);
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    errors,
    stop: () => {
      on = false;
    },
    allow: (re) => void allowed.push(re),
  };
}

export interface WebFixture {
  f: ServerFixture;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  problems: Problems;
}

/** A server over a simulated ring serving the built dashboard, and a browser page (laptop-sized). */
export async function startWeb(
  t: TestContext,
  sim: Partial<SimulatorOptions> & { nodes: number },
  opts: { colorScheme?: 'light' | 'dark' } = {},
): Promise<WebFixture> {
  const webDir = await builtWeb();
  const f = await startFixture(t, sim, (o) => ({ ...o, webDir }));
  const browser = await launch(t);
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  const problems = await watchProblems(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { f, browser, context, page, problems };
}

/** Sign in through the login form (the page must be on the login screen). */
export async function login(page: Page, username = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#live-status.conn-live');
}

/** A full-page screenshot in test-artifacts/ (git-ignored), for a human (or an agent) to look at. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
