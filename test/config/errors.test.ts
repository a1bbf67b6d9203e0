import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type FlagValues } from '../../server/config/index.js';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ringwatch-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function yaml(text: string): Promise<string> {
  const file = join(dir, `c${++n}.yaml`);
  await writeFile(file, text);
  return file;
}

async function failure(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadConfig to throw');
}

const load = (env: NodeJS.ProcessEnv = {}, flags: Partial<FlagValues> = {}, file?: string) =>
  failure(loadConfig({ env, flags, ...(file ? { file } : {}) }));

describe('invalid values', () => {
  test('names the key, the variable and what was wrong', async () => {
    const err = await load({ RINGWATCH_CRAWL_CONCURRENCY: 'abc' });
    assert.equal(err.code, 'config_invalid');
    assert.equal(err.name, 'ConfigError');
    assert.equal(
      err.message,
      'config error: crawl.concurrency (from RINGWATCH_CRAWL_CONCURRENCY): expected a whole number ≥ 1, got "abc"',
    );
    assert.deepEqual(err.issues, [
      {
        key: 'crawl.concurrency',
        source: 'env',
        origin: 'RINGWATCH_CRAWL_CONCURRENCY',
        message: 'expected a whole number ≥ 1, got "abc"',
      },
    ]);
  });

  test('a value from the file names the file and line', async () => {
    const file = await yaml('server:\n  host: 0.0.0.0\n  port: 70000\n');
    const err = await load({}, {}, file);
    assert.deepEqual(err.issues, [
      {
        key: 'server.port',
        source: 'file',
        origin: `${file}:3`,
        message: 'expected a whole number from 0 to 65535, got 70000',
      },
    ]);
  });

  test('a value from a flag names the flag', async () => {
    const err = await load({}, { timeoutMs: 0, logLevel: 'loud' });
    assert.deepEqual(err.message.split('\n'), [
      'config error: crawl.timeoutMs (from --timeout-ms): expected a whole number ≥ 1, got 0',
      'config error: log.level (from --log-level): expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    ]);
    assert.deepEqual(
      err.issues.map((i) => i.source),
      ['flag', 'flag'],
    );
  });

  test('every problem is listed at once, each from its own source', async () => {
    const file = await yaml('log:\n  pretty: maybe\n');
    const err = await load({ RINGWATCH_SERVER_TRUST_PROXY: 'yes' }, { port: -1 }, file);
    const by = Object.fromEntries(err.issues.map((i) => [i.key, i]));
    assert.equal(err.issues.length, 3);
    assert.equal(by['server.port']?.source, 'flag');
    assert.equal(by['server.trustProxy']?.message, 'expected true or false, got "yes"');
    assert.equal(by['server.trustProxy']?.source, 'env');
    assert.equal(by['log.pretty']?.origin, `${file}:2`);
    assert.equal(err.message.split('\n').length, 3);
  });

  test('a bad list entry is named by its position', async () => {
    const err = await load({ RINGWATCH_CRAWL_SEEDS: 'http://10.0.0.1:8700,ftp://10.0.0.2' });
    assert.deepEqual(err.issues, [
      {
        key: 'crawl.seeds',
        source: 'env',
        origin: 'RINGWATCH_CRAWL_SEEDS',
        message:
          'entry 2: expected an http:// or https:// endpoint URL without user name or password, got "ftp://10.0.0.2"',
      },
    ]);
  });

  test('cron schedules are checked with node-cron', async () => {
    const err = await load({}, { schedule: '61 * * * *' });
    assert.equal(err.issues[0]?.key, 'crawl.schedule');
    assert.match(err.issues[0]?.message ?? '', /^expected a cron expression .*, got "61 \* \* \* \*"$/);
    const file = await yaml('retention:\n  schedule: every hour\n');
    assert.equal((await load({}, {}, file)).issues[0]?.key, 'retention.schedule');
  });

  test('allow-list entries, public URL, strategy, simulator.enabled and detector thresholds', async () => {
    const err = await load({
      RINGWATCH_CRAWL_ALLOW: '10.0.0.0/33',
      RINGWATCH_SERVER_PUBLIC_URL: 'ringwatch.example.org',
      RINGWATCH_CRAWL_STRATEGY: 'random',
      RINGWATCH_SIMULATOR_ENABLED: 'maybe',
      RINGWATCH_DETECTORS_LOSS_PERCENT: '150',
    });
    assert.deepEqual(
      err.issues.map((i) => i.key),
      ['server.publicUrl', 'crawl.allow', 'crawl.strategy', 'detectors.loss.percent', 'simulator.enabled'],
    );
    assert.match(
      err.message,
      /simulator\.enabled \(from RINGWATCH_SIMULATOR_ENABLED\): expected "auto", true or false, got "maybe"/,
    );
    assert.match(
      err.message,
      /detectors\.loss\.percent \(from RINGWATCH_DETECTORS_LOSS_PERCENT\): .*100, got 150/,
    );
  });

  test('a secret that is wrong is never echoed', async () => {
    const err = await load({ RINGWATCH_ADMIN_PASSWORD: 'hunter2' });
    assert.deepEqual(err.issues, [
      {
        key: 'auth.adminPassword',
        source: 'env',
        origin: 'RINGWATCH_ADMIN_PASSWORD',
        message: 'expected at least 8 characters, got "***"',
      },
    ]);
    assert.ok(!err.message.includes('hunter2'));
    const file = await yaml('agents:\n  logToken: 1234\n');
    const fromFile = await load({}, {}, file);
    assert.match(fromFile.message, /agents\.logToken .*expected a string \(quote it in YAML.*got "\*\*\*"$/);
  });

  test('simulator disabled with no seeds: nothing to crawl', async () => {
    const file = await yaml('simulator:\n  enabled: false\n');
    const err = await load({}, {}, file);
    assert.deepEqual(err.issues, [
      {
        key: 'simulator.enabled',
        source: 'file',
        origin: `${file}:2`,
        message:
          'is false but crawl.seeds is empty: there is nothing to crawl (add seeds or enable the simulator)',
      },
    ]);
  });
});

describe('unknown keys', () => {
  test('a misspelt key is an error with a hint and its line', async () => {
    const file = await yaml('crawl:\n  concurrency: 4\n  timeout_ms: 100\n');
    const err = await load({}, {}, file);
    assert.equal(err.code, 'config_invalid');
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0]?.key, 'crawl.timeout_ms');
    assert.equal(err.issues[0]?.source, 'file');
    assert.equal(err.issues[0]?.origin, `${file}:3`);
    assert.match(
      err.issues[0]?.message ?? '',
      /^unknown key \(did you mean "timeoutMs"\?\); this section accepts: seeds, /,
    );
  });

  test('an unknown section, and an unknown key inside the nested detector thresholds', async () => {
    const file = await yaml('servr:\n  port: 1\ndetectors:\n  loss:\n    windowMinutes: 5\n');
    const err = await load({}, {}, file);
    assert.deepEqual(err.issues.map((i) => [i.key, i.origin]).sort(), [
      ['detectors.loss.windowMinutes', `${file}:5`],
      ['servr', `${file}:1`],
    ]);
    assert.match(err.issues.find((i) => i.key === 'servr')?.message ?? '', /did you mean "server"/);
  });

  test('a section that is not a mapping is reported even when the environment sets a key in it', async () => {
    const file = await yaml('crawl: fast\n');
    const err = await load({ RINGWATCH_CRAWL_CONCURRENCY: '4' }, {}, file);
    assert.deepEqual(err.issues, [
      {
        key: 'crawl',
        source: 'file',
        origin: `${file}:1`,
        message: 'expected a section of keys (a YAML mapping), got "fast"',
      },
    ]);
  });
});

describe('the file', () => {
  test('a missing --config file is config_file', async () => {
    const missing = join(dir, 'nope.yaml');
    const err = await failure(loadConfig({ env: {}, flags: { config: missing } }));
    assert.equal(err.code, 'config_file');
    assert.equal(err.message, `config error: config (from --config): config file not found: ${missing}`);
    assert.deepEqual(err.issues[0]?.source, 'flag');
  });

  test('a missing input file is config_file too', async () => {
    const missing = join(dir, 'nope.yaml');
    const err = await load({}, {}, missing);
    assert.equal(err.code, 'config_file');
    assert.deepEqual(err.issues[0]?.source, 'file');
  });

  test('a directory is config_file', async () => {
    const sub = join(dir, 'sub.yaml');
    await mkdir(sub);
    const err = await load({}, {}, sub);
    assert.equal(err.code, 'config_file');
    assert.match(err.message, /is a directory/);
  });

  test('a YAML syntax error is config_file with its line', async () => {
    const file = await yaml('server:\n  port: 1\n  host: [a\ncrawl:\n  concurrency: 2\n');
    const err = await load({}, {}, file);
    assert.equal(err.code, 'config_file');
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0]?.key, 'config');
    assert.match(
      err.issues[0]?.origin ?? '',
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+$`),
    );
    assert.match(err.issues[0]?.message ?? '', /^invalid YAML at line \d+, column \d+: /);
  });

  test('duplicate keys are a YAML error', async () => {
    const file = await yaml('server:\n  port: 1\n  port: 2\n');
    const err = await load({}, {}, file);
    assert.equal(err.code, 'config_file');
    assert.equal(err.issues[0]?.origin, `${file}:3`);
    assert.match(err.issues[0]?.message ?? '', /^invalid YAML at line 3, column 3: Map keys must be unique$/);
  });

  test('a top level that is not a mapping is config_file', async () => {
    const err = await load({}, {}, await yaml('- server\n- crawl\n'));
    assert.equal(err.code, 'config_file');
    assert.match(err.message, /expected a mapping of sections at the top/);
  });
});
