import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ErrorBodySchema, LogsResponseSchema, StatusSchema, runSidecar } from '../../node-agent/index.js';
import type { NodeState, SidecarOptions, Status } from '../../node-agent/index.js';
import { TOKEN, bearer, get, nodeId, sampleView } from './helpers.js';

function state(overrides: Partial<NodeState> = {}): NodeState {
  const view = sampleView();
  return {
    nodeId: nodeId(3),
    version: 'brunet-1.0',
    ring: { left: view.left, right: view.right },
    connections: view.connections,
    traffic: { bytesIn: 10, bytesOut: 20, packetsIn: 1, packetsOut: 2 },
    ...overrides,
  };
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringwatch-sidecar-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function sidecar(t: TestContext, options: SidecarOptions): Promise<string> {
  const handle = await runSidecar(options);
  t.after(() => handle.close());
  return `http://127.0.0.1:${handle.port}`;
}

async function status(base: string): Promise<Status> {
  const r = await get(`${base}/v1/status`);
  assert.equal(r.status, 200, r.text);
  return StatusSchema.parse(r.json());
}

/** Writes atomically (temp file + rename), as the protocol asks of state writers. */
async function writeState(file: string, doc: unknown): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify(doc));
  await rename(`${file}.tmp`, file);
}

void test('sidecar serves a state file and picks up changes', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  let now = Date.UTC(2026, 0, 1, 12);
  await writeState(file, {
    ...state(),
    threads: [
      { name: 'routing', lastBeatAt: new Date(now - 500).toISOString(), deadlineMs: 1000 },
      { name: 'dht', lastBeatAt: new Date(now - 9000).toISOString(), deadlineMs: 1000 },
      { name: 'queue', lastBeatAt: new Date(now - 9000).toISOString(), deadlineMs: 1000, waiting: true },
    ],
    futureField: { ignored: true },
  });
  const handle = await runSidecar({ stateFile: file, now: () => now });
  t.after(() => handle.close());
  const base = `http://127.0.0.1:${handle.port}`;
  const s1 = await status(base);
  assert.equal(s1.nodeId, nodeId(3));
  assert.equal(s1.endpoint, base);
  assert.equal(handle.endpoint, base);
  assert.equal(s1.version, 'brunet-1.0');
  assert.equal(s1.now, new Date(now).toISOString());
  assert.deepEqual(s1.process, { rssBytes: 0, heapUsedBytes: 0, cpuSeconds: 0, eventLoopLagMs: 0 });
  assert.deepEqual(
    s1.threads.map((th) => [th.name, th.state]),
    [
      ['routing', 'running'],
      ['dht', 'stalled'],
      ['queue', 'waiting'],
    ],
  );
  now += 1000;
  assert.equal((await status(base)).threads[0]?.state, 'stalled', 'a stale state file shows stalled threads');

  await writeState(
    file,
    state({ nodeId: nodeId(4), endpoint: 'http://vpn.example:8080', queue: { depth: 12 } }),
  );
  const s2 = await status(base);
  assert.equal(s2.nodeId, nodeId(4));
  assert.equal(s2.endpoint, 'http://vpn.example:8080');
  assert.equal(s2.queue.depth, 12);
  assert.deepEqual(s2.threads, []);

  // In-place rewrite with the same size: a new mtime is enough.
  const text = (await readFile(file, 'utf8')).replace(nodeId(4), nodeId(5));
  await writeFile(file, text);
  await utimes(file, new Date(), new Date(Date.now() + 5000));
  assert.equal((await status(base)).nodeId, nodeId(5));
  const metrics = await get(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.text, /ringwatch_node_queue_depth 12/);
});

void test('bad state answers 503 with a clear code, never a half-valid document', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  const base = await sidecar(t, { stateFile: file });
  const expect503 = async (code: string, message: RegExp) => {
    for (const path of ['/v1/status', '/metrics']) {
      const r = await get(`${base}${path}`);
      assert.equal(r.status, 503, `${path}: ${r.text}`);
      const body = ErrorBodySchema.parse(r.json());
      assert.equal(body.error.code, code);
      assert.match(body.error.message, message);
    }
  };
  await expect503('state_unavailable', /ENOENT/);
  await writeFile(file, '{"nodeId": "');
  await expect503('state_invalid', /not JSON/);
  await writeState(file, { ...state(), traffic: { bytesIn: -1, bytesOut: 0, packetsIn: 0, packetsOut: 0 } });
  await expect503('state_invalid', /traffic\.bytesIn/);
  await writeState(file, { ...state(), ring: undefined });
  await expect503('state_invalid', /ring/);
  await writeState(file, state());
  assert.equal((await status(base)).nodeId, nodeId(3));
});

void test('sidecar runs a state command, caches it for refreshMs, and reports failures', async (t) => {
  const dir = await tempDir(t);
  const doc = join(dir, 'doc.json');
  const runs = join(dir, 'runs.txt');
  const script = join(dir, 'state.mjs');
  await writeFile(
    script,
    `import { appendFileSync, readFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(runs)}, 'x');
const text = readFileSync(${JSON.stringify(doc)}, 'utf8');
if (text === 'fail') { console.error('vpn not running'); process.exit(3); }
if (text === 'hang') setTimeout(() => {}, 60_000);
else process.stdout.write(text);
`,
  );
  let now = 1_000_000;
  const command = `"${process.execPath}" "${script}"`;
  const base = await sidecar(t, {
    stateCommand: command,
    refreshMs: 1000,
    commandTimeoutMs: 1500,
    now: () => now,
  });
  await writeFile(doc, JSON.stringify(state()));
  assert.equal((await status(base)).nodeId, nodeId(3));
  await writeFile(doc, JSON.stringify(state({ nodeId: nodeId(6) })));
  assert.equal((await status(base)).nodeId, nodeId(3), 'cached within refreshMs');
  assert.equal((await readFile(runs, 'utf8')).length, 1);
  now += 1000;
  assert.equal((await status(base)).nodeId, nodeId(6));

  await writeFile(doc, 'fail');
  now += 1000;
  const failed = await get(`${base}/v1/status`);
  assert.equal(failed.status, 503);
  const body = ErrorBodySchema.parse(failed.json()).error;
  assert.equal(body.code, 'state_unavailable');
  assert.match(body.message, /exit code 3.*vpn not running/);

  await writeFile(doc, 'hang');
  now += 1000;
  const started = Date.now();
  const hung = ErrorBodySchema.parse((await get(`${base}/v1/status`)).json()).error;
  assert.equal(hung.code, 'state_unavailable');
  assert.match(hung.message, /timed out after 1500 ms/);
  assert.ok(Date.now() - started < 5000);

  await writeFile(doc, '{"nodeId":1}');
  now += 1000;
  assert.equal(ErrorBodySchema.parse((await get(`${base}/v1/status`)).json()).error.code, 'state_invalid');
});

void test('sidecar serves the tail of its log file behind the token', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  const logFile = join(dir, 'vpn.log');
  await writeState(file, state());
  await writeFile(
    logFile,
    '{"level":30,"time":1767225600000,"msg":"pino line","pid":1,"peer":"x"}\n' +
      '2026-01-01T00:00:05Z WARN plain line\n',
  );
  const base = await sidecar(t, { stateFile: file, logFile, token: TOKEN });
  assert.equal((await get(`${base}/v1/logs`)).status, 401);
  const first = LogsResponseSchema.parse((await get(`${base}/v1/logs`, bearer(TOKEN))).json());
  assert.equal(first.nodeId, nodeId(3));
  assert.deepEqual(
    first.records.map((r) => [r.level, r.msg, r.time, r.fields]),
    [
      ['info', 'pino line', '2026-01-01T00:00:00.000Z', { peer: 'x' }],
      ['warn', '2026-01-01T00:00:05Z WARN plain line', '2026-01-01T00:00:05.000Z', undefined],
    ],
  );
  await appendFile(logFile, 'partial');
  await appendFile(logFile, ' ERROR line\n');
  const second = LogsResponseSchema.parse((await get(`${base}/v1/logs?level=error`, bearer(TOKEN))).json());
  assert.deepEqual(
    second.records.map((r) => r.msg),
    ['partial ERROR line'],
  );
  await writeFile(`${logFile}.new`, 'after rotation\n');
  await rename(`${logFile}.new`, logFile);
  const third = LogsResponseSchema.parse((await get(`${base}/v1/logs?tail=1`, bearer(TOKEN))).json());
  assert.deepEqual(
    third.records.map((r) => r.msg),
    ['after rotation'],
  );
});

void test('sidecar without a token or log file keeps logs closed; options are validated', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  await writeState(file, state());
  const noToken = await sidecar(t, { stateFile: file, logFile: join(dir, 'x.log') });
  assert.equal((await get(`${noToken}/v1/logs`, bearer(TOKEN))).status, 403);
  const noFile = await sidecar(t, { stateFile: file, token: TOKEN });
  assert.equal((await get(`${noFile}/v1/logs`, bearer(TOKEN))).status, 403);
  assert.equal((await get(`${noFile}/nope`)).status, 404);
  await assert.rejects(runSidecar({}), /exactly one of stateFile and stateCommand/);
  await assert.rejects(runSidecar({ stateFile: file, stateCommand: 'true' }), /exactly one/);
  await assert.rejects(runSidecar({ stateFile: file, port: 70000 }), /port/);
  await assert.rejects(runSidecar({ stateFile: file, token: 'a b' }), /token/);
  await assert.rejects(runSidecar({ stateFile: file, bogus: 1 } as SidecarOptions), /bogus/);
});
