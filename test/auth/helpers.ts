/** A real auth stack for tests: SQLite temp file, manual clock, express app on an ephemeral loopback port. */
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { manualClock } from '../../server/core/clock.js';
import type { ManualClock } from '../../server/core/clock.js';
import { errorHandler } from '../../server/http/errors.js';
import { createAudit, createAuth } from '../../server/auth/index.js';
import type { Audit, AuthOptions } from '../../server/auth/index.js';
import type { Auth } from '../../server/auth/types.js';
import { principalOf } from '../../server/auth/types.js';
import { openDatabase } from '../../server/store/index.js';
import type { Database } from '../../server/store/index.js';

export const ADMIN_PASSWORD = 'correct horse battery';

export interface Stack {
  base: string;
  auth: Auth;
  audit: Audit;
  db: Database;
  dbFile: string;
  dir: string;
  clock: ManualClock;
  /** fetch relative to /api/v1 with JSON body helper. */
  api(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Set when the stack was started with `generateAdmin`: the password ensureAdmin() made up. */
  generatedPassword: string | undefined;
  /** Log in and answer the `name=value` cookie to send back. */
  login(username: string, password: string): Promise<string>;
}

/**
 * Start a stack with user `admin` (ADMIN_PASSWORD, or a generated one with `generateAdmin`). Its app
 * mounts, as the integrator does:
 * express.json, auth.router(), auth.middleware(), GET /ops (operator) and GET /view (viewer), errorHandler.
 */
export async function startStack(
  t: TestContext,
  opts: AuthOptions = {},
  { generateAdmin = false } = {},
): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-auth-'));
  const dbFile = join(dir, 'auth.db');
  const clock = manualClock();
  const db = await openDatabase(dbFile, { clock });
  const audit = createAudit(db, clock);
  const auth = await createAuth({ db, clock, audit }, { bcryptCost: 4, ...opts });
  const { generatedPassword } = await auth.ensureAdmin(generateAdmin ? undefined : ADMIN_PASSWORD);

  const app = express();
  const api = express.Router();
  api.use(express.json({ limit: '100kb' }));
  api.use(auth.router());
  api.use(auth.middleware());
  api.get('/ops', auth.require('operator'), (_req, res) => {
    res.json({ ok: true, principal: principalOf(res) });
  });
  api.get('/view', auth.require('viewer'), (_req, res) => {
    res.json({ ok: true, principal: principalOf(res) });
  });
  app.use('/api/v1', api);
  app.use(errorHandler(() => {}));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const apiFetch: Stack['api'] = (path, init = {}) =>
    fetch(base + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });

  return {
    base,
    auth,
    audit,
    db,
    dbFile,
    dir,
    clock,
    api: apiFetch,
    generatedPassword,
    async login(username, password) {
      const res = await apiFetch('/auth/login', { body: { username, password } });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
      const set = res.headers.get('set-cookie') ?? '';
      return set.split(';')[0]!;
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const withCookie = (cookie: string) => ({ cookie });

export async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code?: string } };
  return body.error?.code ?? '(none)';
}
