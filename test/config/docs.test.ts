import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  ConfigSchema,
  REDACTED,
  describeConfig,
  loadConfig,
  redactConfig,
  type ConfigRow,
} from '../../server/config/index.js';

const root = new URL('../../', import.meta.url);
const rows = describeConfig();

/** Table rows of the doc whose first cell is a backticked dotted key: key → cells. */
function docRows(md: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line
      .slice(1, line.trimEnd().length - 1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    const m = /^`([a-zA-Z]+(?:\.[a-zA-Z0-9]+)*)`$/.exec(cells[0] ?? '');
    if (m?.[1]) out.set(m[1], cells);
  }
  return out;
}

/** The value of a row's default as an environment variable would spell it, or undefined when unset. */
function envSpelling(row: ConfigRow): string | undefined {
  if (row.default === 'unset' || row.type === 'mapping') return undefined;
  const v: unknown = JSON.parse(row.default);
  return Array.isArray(v) ? v.join(',') : String(v);
}

describe('describeConfig', () => {
  test('every key has a type, a description and a RINGWATCH_ name, and names are unique', () => {
    assert.ok(rows.length >= 40, `only ${rows.length} keys`);
    const names = new Set<string>();
    for (const r of rows) {
      assert.ok(r.description.length > 0, `${r.key} has no description`);
      assert.ok(r.type.length > 0, `${r.key} has no type`);
      for (const n of [r.env, ...r.envAliases]) {
        assert.match(n, /^RINGWATCH_[A-Z0-9_]+$/);
        assert.ok(!names.has(n), `${n} is used twice`);
        names.add(n);
      }
    }
  });

  test('env names follow RINGWATCH_<SECTION>_<KEY>, with the documented short names', () => {
    const by = new Map(rows.map((r) => [r.key, r]));
    assert.equal(by.get('crawl.timeoutMs')?.env, 'RINGWATCH_CRAWL_TIMEOUT_MS');
    assert.equal(by.get('detectors.growth.minR2')?.env, 'RINGWATCH_DETECTORS_GROWTH_MIN_R2');
    assert.deepEqual(by.get('server.port')?.envAliases, ['RINGWATCH_PORT']);
    assert.deepEqual(by.get('database.file')?.envAliases, ['RINGWATCH_DB']);
    assert.equal(by.get('auth.adminPassword')?.env, 'RINGWATCH_ADMIN_PASSWORD');
    assert.deepEqual(by.get('auth.adminPassword')?.envAliases, ['RINGWATCH_AUTH_ADMIN_PASSWORD']);
    assert.equal(by.get('simulator.enabled')?.type, '"auto" | boolean');
    assert.equal(by.get('server.port')?.default, '8080');
    assert.equal(by.get('server.publicUrl')?.default, 'unset');
    assert.deepEqual(
      rows.filter((r) => r.secret).map((r) => r.key),
      ['simulator.logToken', 'agents.logToken', 'auth.adminPassword'],
    );
  });

  test('every key with a default can be set through its environment variable', async () => {
    const env: NodeJS.ProcessEnv = {};
    for (const r of rows) {
      const v = envSpelling(r);
      if (v !== undefined && v !== '') env[r.env] = v;
    }
    assert.deepEqual(await loadConfig({ env, flags: {} }), ConfigSchema.parse({}));
  });
});

describe('docs/configuration.md', () => {
  test('lists every key with its type, default and environment names', async () => {
    const md = await readFile(new URL('docs/configuration.md', root), 'utf8');
    const documented = docRows(md);
    for (const r of rows) {
      const cells = documented.get(r.key);
      assert.ok(cells, `docs/configuration.md has no row for ${r.key}`);
      const [, type, def, env, description] = cells;
      assert.equal(type?.replace(/\\\|/g, '|'), `\`${r.type}\``, `type of ${r.key}`);
      assert.equal(def, `\`${r.default}\``, `default of ${r.key}`);
      for (const n of [r.env, ...r.envAliases]) assert.ok(env?.includes(`\`${n}\``), `${n} for ${r.key}`);
      assert.ok((description ?? '').length > 0, `description of ${r.key}`);
    }
    const stale = [...documented.keys()].filter((k) => !rows.some((r) => r.key === k));
    assert.deepEqual(stale, [], 'docs/configuration.md documents keys that do not exist');
  });

  test('documents the short environment names', async () => {
    const md = await readFile(new URL('docs/configuration.md', root), 'utf8');
    for (const n of ['RINGWATCH_PORT', 'RINGWATCH_DB', 'RINGWATCH_ADMIN_PASSWORD']) {
      assert.match(md, new RegExp(`^\\| \`${n}\` `, 'm'), `${n} is not in the table of short names`);
    }
  });
});

describe('ringwatch.example.yaml', () => {
  test('loads cleanly, sets every section, and is all defaults', async () => {
    const file = new URL('ringwatch.example.yaml', root).pathname;
    const warnings: string[] = [];
    const c = await loadConfig({ file, env: {}, flags: {}, warn: (m) => warnings.push(m) });
    assert.deepEqual(warnings, []);
    const text = await readFile(file, 'utf8');
    for (const section of Object.keys(ConfigSchema.shape))
      assert.match(text, new RegExp(`^${section}:`, 'm'));
    assert.deepEqual(c, ConfigSchema.parse({}));
  });
});

describe('redactConfig', () => {
  test('replaces every secret that is set, keeps the rest, does not change its input', async () => {
    const config = await loadConfig({
      env: {
        RINGWATCH_ADMIN_PASSWORD: 'correct horse battery',
        RINGWATCH_AGENTS_LOG_TOKEN: 'agent-token-123',
        RINGWATCH_SIMULATOR_LOG_TOKEN: 'sim-token-456',
        RINGWATCH_SERVER_PORT: '9000',
      },
      flags: {},
    });
    const before = structuredClone(config);
    const safe = redactConfig(config);
    assert.equal(safe.auth.adminPassword, REDACTED);
    assert.equal(safe.agents.logToken, REDACTED);
    assert.equal(safe.simulator.logToken, REDACTED);
    assert.equal(safe.server.port, 9000);
    assert.deepEqual(config, before);
    const json = JSON.stringify(safe);
    for (const s of ['correct horse battery', 'agent-token-123', 'sim-token-456'])
      assert.ok(!json.includes(s));
    // everything that is not secret is unchanged
    assert.deepEqual(
      {
        ...safe,
        auth: { ...safe.auth, adminPassword: 'x' },
        agents: { ...safe.agents, logToken: 'x' },
        simulator: { ...safe.simulator, logToken: 'x' },
      },
      {
        ...config,
        auth: { ...config.auth, adminPassword: 'x' },
        agents: { ...config.agents, logToken: 'x' },
        simulator: { ...config.simulator, logToken: 'x' },
      },
    );
  });

  test('leaves unset secrets unset', async () => {
    const safe = redactConfig(await loadConfig({ env: {}, flags: {} }));
    assert.equal(safe.auth.adminPassword, undefined);
    assert.ok(!('logToken' in safe.agents));
  });
});
