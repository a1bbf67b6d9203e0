/**
 * Operator accounts in `users`: bcrypt password hashes, a role, a disabled flag. Also enforces the account
 * rules every entry point shares (HTTP API and CLI): password policy, user name shape, and that the last
 * enabled admin can be neither deleted, demoted nor disabled.
 */
import bcrypt from 'bcryptjs';
import type { Clock } from '../core/clock.js';
import { ApiError } from '../http/errors.js';
import type { Database } from '../store/db.js';
import { randomSecret } from './secrets.js';
import type { Role } from './types.js';

/** A user as the API shows it (never the hash). */
export interface User {
  id: number;
  username: string;
  role: Role;
  createdAt: number;
  disabled: boolean;
}

export type LoginFailure = 'unknown_user' | 'bad_password' | 'disabled';

export interface UserPatch {
  role?: Role | undefined;
  disabled?: boolean | undefined;
  password?: string | undefined;
}

export const PASSWORD_MIN_LENGTH = 12;
/** bcrypt reads at most 72 bytes; longer passwords would be silently truncated, so they are refused. */
export const PASSWORD_MAX_BYTES = 72;
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * Contract:
 *  - Every method that takes an id or name answers ApiError('not_found') for a missing user;
 *    create() answers 'conflict' for a taken name (names compare case-insensitively) and 'bad_request'
 *    for a bad name or a password outside PASSWORD_MIN_LENGTH chars .. PASSWORD_MAX_BYTES bytes.
 *  - update()/remove() answer 'conflict' when they would leave no enabled admin. Disabling a user
 *    deletes its sessions and revokes its tokens; changing a password deletes its sessions except the
 *    one whose hash is `keepSessionHash`; remove() deletes sessions and tokens (ON DELETE CASCADE).
 *  - verify() takes about as long for unknown users as for known ones (it hashes against a dummy) and
 *    reports why a login failed, for the audit log only (callers must not tell the client).
 *  - createFirst() creates the user only when the table is empty (atomically), else answers null.
 */
export interface UserStore {
  count(): Promise<number>;
  get(id: number): Promise<User>;
  getByName(username: string): Promise<User>;
  /** Users by id ascending, after `afterId`; `nextAfter` is the last id when more remain. */
  list(page: { limit: number; afterId?: number }): Promise<{ items: User[]; nextAfter: number | null }>;
  create(input: { username: string; password: string; role: Role }): Promise<User>;
  createFirst(input: { username: string; password: string; role: Role }): Promise<User | null>;
  update(id: number, patch: UserPatch, opts?: { keepSessionHash?: string }): Promise<User>;
  remove(id: number): Promise<User>;
  verify(
    username: string,
    password: string,
  ): Promise<{ ok: true; user: User } | { ok: false; reason: LoginFailure; user: User | null }>;
}

interface UserRow {
  id: number;
  username: string;
  role: Role;
  created_at: number;
  disabled: number;
  password_hash: string;
}

const COLUMNS = 'id, username, role, created_at, disabled, password_hash';

function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    createdAt: r.created_at,
    disabled: r.disabled !== 0,
  };
}

/** Throws ApiError('bad_request') unless `password` meets the policy for new passwords. */
export function checkNewPassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH)
    throw new ApiError('bad_request', `password must have at least ${PASSWORD_MIN_LENGTH} characters`);
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES)
    throw new ApiError('bad_request', `password must have at most ${PASSWORD_MAX_BYTES} bytes`);
}

function checkUsername(username: string): void {
  if (!USERNAME_PATTERN.test(username))
    throw new ApiError(
      'bad_request',
      'user name must be 1-64 letters, digits or . _ @ - and start with a letter or digit',
    );
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(e.message ?? '');
}

export function createUserStore(deps: { db: Database; clock: Clock; bcryptCost?: number }): UserStore {
  const { db, clock } = deps;
  const cost = deps.bcryptCost ?? 10;
  let dummyHash: Promise<string> | undefined;

  const row = async (id: number) => {
    const r = await db.get<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = ?`, [id]);
    if (!r) throw new ApiError('not_found', `no user ${id}`);
    return r;
  };

  /** Throws 'conflict' when `r` is the last enabled admin and the change takes that away. */
  const guardLastAdmin = async (r: UserRow, losesAdmin: boolean) => {
    if (!losesAdmin || r.role !== 'admin' || r.disabled !== 0) return;
    const n = await db.get<{ n: number }>(
      "SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0",
    );
    if ((n?.n ?? 0) <= 1) throw new ApiError('conflict', 'cannot remove, demote or disable the last admin');
  };

  const prepareNew = async (input: { username: string; password: string }) => {
    checkUsername(input.username);
    checkNewPassword(input.password);
    return bcrypt.hash(input.password, cost);
  };

  const insert = async (input: { username: string; role: Role }, hash: string): Promise<User> => {
    try {
      const r = await db.run(
        'INSERT INTO users (username, password_hash, role, created_at, disabled) VALUES (?, ?, ?, ?, 0)',
        [input.username, hash, input.role, clock.now()],
      );
      return toUser(await row(r.lastID));
    } catch (err) {
      if (isUniqueViolation(err)) throw new ApiError('conflict', `user ${input.username} already exists`);
      throw err;
    }
  };

  return {
    async count() {
      return (await db.get<{ n: number }>('SELECT count(*) AS n FROM users'))?.n ?? 0;
    },
    async get(id) {
      return toUser(await row(id));
    },
    async getByName(username) {
      const r = await db.get<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = ?`, [username]);
      if (!r) throw new ApiError('not_found', `no user ${username}`);
      return toUser(r);
    },
    async list({ limit, afterId = 0 }) {
      const rows = await db.all<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id > ? ORDER BY id LIMIT ?`, [
        afterId,
        limit + 1,
      ]);
      const items = rows.slice(0, limit).map(toUser);
      return { items, nextAfter: rows.length > limit ? items[items.length - 1]!.id : null };
    },
    async create(input) {
      return insert(input, await prepareNew(input));
    },
    async createFirst(input) {
      const hash = await prepareNew(input);
      return db.transaction(async () => {
        const n = await db.get<{ n: number }>('SELECT count(*) AS n FROM users');
        return (n?.n ?? 0) > 0 ? null : insert(input, hash);
      });
    },
    async update(id, patch, opts = {}) {
      if (patch.password !== undefined) checkNewPassword(patch.password);
      const hash = patch.password !== undefined ? await bcrypt.hash(patch.password, cost) : undefined;
      return db.transaction(async () => {
        const r = await row(id);
        await guardLastAdmin(
          r,
          (patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true,
        );
        if (patch.role !== undefined)
          await db.run('UPDATE users SET role = ? WHERE id = ?', [patch.role, id]);
        if (patch.disabled !== undefined)
          await db.run('UPDATE users SET disabled = ? WHERE id = ?', [patch.disabled ? 1 : 0, id]);
        if (hash !== undefined) {
          await db.run('UPDATE users SET password_hash = ? WHERE id = ?', [hash, id]);
          await db.run('DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?', [
            id,
            opts.keepSessionHash ?? '',
          ]);
        }
        if (patch.disabled === true) {
          await db.run('DELETE FROM sessions WHERE user_id = ?', [id]);
          await db.run('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [
            clock.now(),
            id,
          ]);
        }
        return toUser(await row(id));
      });
    },
    async remove(id) {
      return db.transaction(async () => {
        const r = await row(id);
        await guardLastAdmin(r, true);
        await db.run('DELETE FROM users WHERE id = ?', [id]);
        return toUser(r);
      });
    },
    async verify(username, password) {
      const r = await db.get<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = ?`, [username]);
      if (!r) {
        dummyHash ??= bcrypt.hash(randomSecret(18), cost);
        await bcrypt.compare(password, await dummyHash);
        return { ok: false, reason: 'unknown_user', user: null };
      }
      const user = toUser(r);
      if (!(await bcrypt.compare(password, r.password_hash)))
        return { ok: false, reason: 'bad_password', user };
      if (user.disabled) return { ok: false, reason: 'disabled', user };
      return { ok: true, user };
    },
  };
}
