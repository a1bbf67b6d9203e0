import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  ConfigSchema,
  loadConfig,
  retentionOptions,
  simulatorEnabled,
  type FlagValues,
} from '../../server/config/index.js';
import { DEFAULT_DETECTOR_CONFIG } from '../../server/detect/config.js';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ringwatch-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` to a fresh YAML file and returns its path. */
async function yaml(text: string): Promise<string> {
  const file = join(dir, `c${++n}.yaml`);
  await writeFile(file, text);
  return file;
}

const load = (env: NodeJS.ProcessEnv = {}, flags: Partial<FlagValues> = {}, file?: string) =>
  loadConfig({ env, flags, ...(file ? { file } : {}) });

/** The ConfigError a load throws (fails the test when it resolves or throws anything else). */
async function failure(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadConfig to throw');
}

describe('defaults', () => {
  test('nothing given: every default', async () => {
    const c = await load();
    assert.deepEqual(c, ConfigSchema.parse({}));
    assert.equal(c.server.host, '127.0.0.1');
    assert.equal(c.server.port, 8080);
    assert.equal(c.server.publicUrl, undefined);
    assert.equal(c.server.trustProxy, false);
    assert.equal(c.server.bodyLimitBytes, 102_400);
    assert.equal(c.server.shutdownTimeoutMs, 30_000);
    assert.equal(c.database.file, 'ringwatch.db');
    assert.deepEqual(c.crawl, {
      seeds: [],
      schedule: '0 * * * * *',
      concurrency: 256,
      timeoutMs: 3000,
      maxNodes: 250_000,
      allow: [],
      thread: 'worker',
      strategy: 'parallel',
    });
    assert.deepEqual(c.retention, {
      schedule: '0 * * * *',
      rawHours: 48,
      fiveMinuteDays: 7,
      hourlyDays: 90,
      findingDays: 30,
    });
    assert.deepEqual(c.detectors, DEFAULT_DETECTOR_CONFIG);
    assert.deepEqual(c.simulator, { nodes: 200, enabled: 'auto' });
    assert.deepEqual(c.agents, { logMaxBytes: 1_048_576, logTimeoutMs: 5000 });
    assert.deepEqual(c.auth, { sessionTtlHours: 12, secureCookies: false, bcryptCost: 10 });
    assert.deepEqual(c.log, { level: 'info', pretty: false });
  });

  test('an empty file and a comment-only file are all defaults', async () => {
    assert.deepEqual(await load({}, {}, await yaml('')), ConfigSchema.parse({}));
    assert.deepEqual(await load({}, {}, await yaml('# nothing\n')), ConfigSchema.parse({}));
  });

  test('simulatorEnabled: auto runs it exactly when there are no seeds', async () => {
    assert.equal(simulatorEnabled(await load()), true);
    assert.equal(simulatorEnabled(await load({ RINGWATCH_CRAWL_SEEDS: 'http://10.0.0.1:8700' })), false);
    const both = await load({
      RINGWATCH_CRAWL_SEEDS: 'http://10.0.0.1:8700',
      RINGWATCH_SIMULATOR_ENABLED: 'true',
    });
    assert.equal(simulatorEnabled(both), true);
  });

  test('retentionOptions converts hours and days to milliseconds', async () => {
    const c = await load({ RINGWATCH_RETENTION_RAW_HOURS: '2', RINGWATCH_RETENTION_FINDING_DAYS: '1' });
    assert.deepEqual(retentionOptions(c), {
      rawWindowMs: 2 * 3_600_000,
      fiveMinuteWindowMs: 7 * 86_400_000,
      hourlyWindowMs: 90 * 86_400_000,
      findingWindowMs: 86_400_000,
    });
  });
});

describe('precedence: file < env < flags', () => {
  test('each later source wins for the key it sets', async () => {
    const file = await yaml('server:\n  port: 1000\n  host: 0.0.0.0\ncrawl:\n  timeoutMs: 111\n');
    const env = { RINGWATCH_SERVER_PORT: '2000', RINGWATCH_CRAWL_TIMEOUT_MS: '222' };
    const flags = { port: 3000 };
    assert.equal((await load({}, {}, file)).server.port, 1000);
    assert.equal((await load(env, {}, file)).server.port, 2000);
    const all = await load(env, flags, file);
    assert.equal(all.server.port, 3000);
    // keys set by one source only survive the others (merged key by key, not section by section)
    assert.equal(all.server.host, '0.0.0.0');
    assert.equal(all.crawl.timeoutMs, 222);
    assert.equal(all.crawl.concurrency, 256);
  });

  test('--config wins over the file given as input', async () => {
    const a = await yaml('log:\n  level: warn\n');
    const b = await yaml('log:\n  level: debug\n');
    const c = await loadConfig({ file: a, env: {}, flags: { config: b } });
    assert.equal(c.log.level, 'debug');
  });

  test('every flag maps to its key', async () => {
    const c = await load(
      {},
      {
        host: '0.0.0.0',
        port: 0,
        db: '/tmp/x.db',
        seed: ['http://10.0.0.1:8700', 'http://10.0.0.2:8700'],
        schedule: '*/10 * * * * *',
        concurrency: 8,
        timeoutMs: 500,
        logLevel: 'debug',
      },
    );
    assert.equal(c.server.host, '0.0.0.0');
    assert.equal(c.server.port, 0);
    assert.equal(c.database.file, '/tmp/x.db');
    assert.deepEqual(c.crawl.seeds, ['http://10.0.0.1:8700', 'http://10.0.0.2:8700']);
    assert.equal(c.crawl.schedule, '*/10 * * * * *');
    assert.equal(c.crawl.concurrency, 8);
    assert.equal(c.crawl.timeoutMs, 500);
    assert.equal(c.log.level, 'debug');
  });

  test('--sim forces the simulator with N nodes, even with seeds and simulator.enabled false', async () => {
    const file = await yaml('crawl:\n  seeds: [http://10.0.0.1:8700]\nsimulator:\n  enabled: false\n');
    const c = await load({}, { sim: 50 }, file);
    assert.equal(c.simulator.enabled, true);
    assert.equal(c.simulator.nodes, 50);
    assert.equal(simulatorEnabled(c), true);
  });

  test('an empty --seed list (commander default) does not replace the seeds of the file', async () => {
    const file = await yaml('crawl:\n  seeds: [http://10.0.0.1:8700]\n');
    assert.deepEqual((await load({}, { seed: [] }, file)).crawl.seeds, ['http://10.0.0.1:8700']);
  });

  test('flag values given as strings are coerced like the environment', async () => {
    const flags = { port: '9090', concurrency: '4' } as unknown as Partial<FlagValues>;
    const c = await load({}, flags);
    assert.equal(c.server.port, 9090);
    assert.equal(c.crawl.concurrency, 4);
  });
});

describe('environment parsing', () => {
  test('numbers, booleans, lists, enums and the auto|boolean union', async () => {
    const c = await load({
      RINGWATCH_SERVER_TRUST_PROXY: 'true',
      RINGWATCH_LOG_PRETTY: '1',
      RINGWATCH_AUTH_SECURE_COOKIES: 'TRUE',
      RINGWATCH_CRAWL_SEEDS: ' http://10.0.0.1:8700 ,, http://10.0.0.2:8700,',
      RINGWATCH_CRAWL_ALLOW: '10.0.0.0/8,fd00::/8',
      RINGWATCH_DETECTORS_DISABLED: 'node_loss,resource_growth',
      RINGWATCH_CRAWL_STRATEGY: 'ring-walk',
      RINGWATCH_DETECTORS_GROWTH_MIN_R2: '0.5',
      RINGWATCH_DETECTORS_LOSS_WINDOW_MS: '6e4',
      RINGWATCH_AUTH_SESSION_TTL_HOURS: '1.5',
      RINGWATCH_SIMULATOR_ENABLED: '0',
      RINGWATCH_SIMULATOR_SEED: '42',
    });
    assert.equal(c.server.trustProxy, true);
    assert.equal(c.log.pretty, true);
    assert.equal(c.auth.secureCookies, true);
    assert.deepEqual(c.crawl.seeds, ['http://10.0.0.1:8700', 'http://10.0.0.2:8700']);
    assert.deepEqual(c.crawl.allow, ['10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(c.detectors.disabled, ['node_loss', 'resource_growth']);
    assert.equal(c.crawl.strategy, 'ring-walk');
    assert.equal(c.detectors.growth.minR2, 0.5);
    assert.equal(c.detectors.loss.windowMs, 60_000);
    assert.equal(c.auth.sessionTtlHours, 1.5);
    assert.equal(c.simulator.enabled, false);
    assert.equal(c.simulator.seed, 42);
  });

  test('false, 0 and auto', async () => {
    const seeds = { RINGWATCH_CRAWL_SEEDS: 'http://10.0.0.1:8700' };
    assert.equal((await load({ RINGWATCH_LOG_PRETTY: 'false' })).log.pretty, false);
    assert.equal((await load({ RINGWATCH_SERVER_TRUST_PROXY: '0' })).server.trustProxy, false);
    assert.equal((await load({ ...seeds, RINGWATCH_SIMULATOR_ENABLED: 'auto' })).simulator.enabled, 'auto');
    assert.equal((await load({ RINGWATCH_SIMULATOR_ENABLED: '1' })).simulator.enabled, true);
  });

  test('an empty variable counts as unset', async () => {
    const c = await load({ RINGWATCH_SERVER_PORT: '', RINGWATCH_CRAWL_SEEDS: ' ' });
    assert.equal(c.server.port, 8080);
    assert.deepEqual(c.crawl.seeds, []);
  });

  test('short aliases RINGWATCH_PORT, RINGWATCH_DB, RINGWATCH_ADMIN_PASSWORD', async () => {
    const c = await load({
      RINGWATCH_PORT: '9000',
      RINGWATCH_DB: '/var/lib/ringwatch.db',
      RINGWATCH_ADMIN_PASSWORD: 'correct horse',
    });
    assert.equal(c.server.port, 9000);
    assert.equal(c.database.file, '/var/lib/ringwatch.db');
    assert.equal(c.auth.adminPassword, 'correct horse');
    const long = await load({ RINGWATCH_AUTH_ADMIN_PASSWORD: 'battery staple' });
    assert.equal(long.auth.adminPassword, 'battery staple');
    // the same value under both names is fine
    assert.equal((await load({ RINGWATCH_PORT: '9000', RINGWATCH_SERVER_PORT: '9000' })).server.port, 9000);
  });

  test('a key set under two names with different values is an error', async () => {
    const err = await failure(load({ RINGWATCH_PORT: '9000', RINGWATCH_SERVER_PORT: '9001' }));
    assert.equal(err.code, 'config_invalid');
    assert.deepEqual(err.issues, [
      {
        key: 'server.port',
        source: 'env',
        origin: 'RINGWATCH_SERVER_PORT and RINGWATCH_PORT',
        message: 'set under two names with different values; set only one',
      },
    ]);
  });

  test('unknown RINGWATCH_* variables are warned about with a hint, known non-config ones are not', async () => {
    const warnings: string[] = [];
    await loadConfig({
      env: { RINGWATCH_CRAWL_CONCURENCY: '3', RINGWATCH_AGENT_TOKEN: 'x', PATH: '/bin', RINGWATCH_ZZZ: '1' },
      flags: {},
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(warnings, [
      'ignoring unknown environment variable RINGWATCH_CRAWL_CONCURENCY (did you mean RINGWATCH_CRAWL_CONCURRENCY?)',
      'ignoring unknown environment variable RINGWATCH_ZZZ',
    ]);
  });
});
