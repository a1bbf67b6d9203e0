/**
 * `ringwatch start`: the long-running server. Configuration comes from one place (server/config: YAML
 * file → RINGWATCH_* environment → these flags). With no seeds it starts an embedded simulated ring and
 * crawls that, so a fresh clone shows a living ring at once. Prints the dashboard URL (and, on the very
 * first start without RINGWATCH_ADMIN_PASSWORD, the generated admin password, once).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createLogger } from './log-format.js';
import { ConfigError, loadConfig, redactConfig, type Config, type FlagValues } from '../config/index.js';
import { systemClock } from '../core/clock.js';
import { startServer, type ServerOptions } from '../server.js';
import { startSimulator, type Simulator } from '../sim/run.js';
import { int, onShutdown } from './options.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export function serverOptions(c: Config, seeds: string[], logToken: string | undefined): ServerOptions {
  return {
    host: c.server.host,
    port: c.server.port,
    dbFile: c.database.file,
    seeds,
    allow: c.crawl.allow,
    crawl: {
      schedule: c.crawl.schedule,
      concurrency: c.crawl.concurrency,
      timeoutMs: c.crawl.timeoutMs,
      maxNodes: c.crawl.maxNodes,
      thread: c.crawl.thread,
    },
    detectors: c.detectors,
    retention: {
      schedule: c.retention.schedule,
      rawWindowMs: c.retention.rawHours * HOUR,
      fiveMinuteWindowMs: c.retention.fiveMinuteDays * DAY,
      hourlyWindowMs: c.retention.hourlyDays * DAY,
      findingWindowMs: c.retention.findingDays * DAY,
    },
    agents: { logToken, logMaxBytes: c.agents.logMaxBytes, logTimeoutMs: c.agents.logTimeoutMs },
    auth: {
      adminPassword: c.auth.adminPassword,
      sessionTtlMs: c.auth.sessionTtlHours * HOUR,
      secureCookies: c.auth.secureCookies,
      bcryptCost: c.auth.bcryptCost,
    },
    bodyLimitBytes: c.server.bodyLimitBytes,
    rateLimitPerMinute: c.server.rateLimitPerMinute,
    trustProxy: c.server.trustProxy,
    shutdownTimeoutMs: c.server.shutdownTimeoutMs,
    alerting: {
      ...c.alerting,
      externalUrl: c.alerting.externalUrl || (c.server.publicUrl ?? '').replace(/\/+$/, ''),
    },
    ...(existsSync(WEB_DIST) ? { webDir: WEB_DIST } : {}),
  };
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'start' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.error(`open ${url} in a browser`));
  child.unref();
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'run the server: API, live dashboard, scheduled crawls (an embedded simulated ring without seeds)',
    )
    .option('--config <file>', 'YAML configuration file')
    .option('--port <port>', 'HTTP port (0: any free port)', int)
    .option('--host <host>', 'address to listen on')
    .option('--db <file>', 'SQLite database file')
    .option('--sim <nodes>', 'run the embedded simulator with this many nodes, even with seeds', int)
    .option('--seed <url>', 'endpoint of a real ring to crawl (repeatable)', collect, [])
    .option('--schedule <cron>', 'crawl schedule (node-cron; 6 fields allow seconds)')
    .option('--concurrency <n>', 'visits in flight at once', int)
    .option('--timeout-ms <ms>', 'per-request timeout', int)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option('--open', 'open the dashboard in a browser once it is up')
    .action(async (raw: Partial<FlagValues> & { seed: string[]; open?: boolean }) => {
      const { open: openIt, seed, ...rest } = raw;
      const flags: Partial<FlagValues> = { ...rest, ...(seed.length ? { seed } : {}) };
      let config: Config;
      try {
        config = await loadConfig({ ...(raw.config ? { file: raw.config } : {}), env: process.env, flags });
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(err.message);
          process.exit(2);
        }
        throw err;
      }
      const logger = createLogger({
        level: config.log.level,
        pretty: config.log.pretty || process.stdout.isTTY,
      });
      logger.info({ config: redactConfig(config) }, 'configuration');
      const clock = systemClock();

      let sim: Simulator | null = null;
      const simOn =
        config.simulator.enabled === true ||
        (config.simulator.enabled === 'auto' && config.crawl.seeds.length === 0);
      if (simOn) {
        sim = await startSimulator({
          nodes: config.simulator.nodes,
          bootstrap: 'join',
          ...(config.simulator.seed !== undefined ? { seed: config.simulator.seed } : {}),
          ...(config.simulator.stabilizeMs !== undefined
            ? { stabilizeMs: config.simulator.stabilizeMs }
            : {}),
          ...(config.simulator.logToken !== undefined ? { logToken: config.simulator.logToken } : {}),
        });
        logger.info({ nodes: sim.ring.size, control: sim.control }, 'embedded simulator started');
      }
      const seeds = sim ? sim.seeds : config.crawl.seeds;
      const server = await startServer(
        serverOptions(config, seeds, config.agents.logToken ?? sim?.logToken),
        {
          clock,
          logger,
        },
      );
      onShutdown(async () => {
        logger.info('shutting down');
        await server.close();
        await sim?.close();
      });
      server.startSchedule();
      console.error(`\nRingwatch is up: ${server.url}/`);
      if (server.generatedAdminPassword) {
        console.error(`first start: log in as "admin" with password ${server.generatedAdminPassword}`);
        console.error('(shown once; set RINGWATCH_ADMIN_PASSWORD to choose it)');
      }
      console.error(
        `crawling ${sim ? `the simulated ring (${sim.ring.size} nodes)` : `${seeds.length} seed(s)`} on "${config.crawl.schedule}"; Ctrl-C to stop\n`,
      );
      if (sim) console.error(`simulator control API (inject faults, docs/simulator.md): ${sim.control}\n`);
      if (openIt) openBrowser(`${server.url}/`);
    });
}
