/**
 * API tokens in `api_tokens`: `rw_` + 32 random bytes base64url, stored as SHA-256 hex with the first
 * characters kept in clear (`prefix`) so people can tell tokens apart. Tokens can be revoked, can expire,
 * and may belong to a user (then they die with it and never act above that user's current role).
 */
import type { Clock } from '../core/clock.js';
import { ApiError } from '../http/errors.js';
import type { Database } from '../store/db.js';
import { isTokenShaped, newTokenSecret, sha256Hex, TOKEN_PREFIX_LENGTH } from './secrets.js';
import { ROLES } from './types.js';
import type { Principal, Role } from './types.js';

/** A token as the API shows it (never the secret or its hash). */
export interface TokenInfo {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  userId: number | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface NewToken {
  name: string;
  role: Role;
  userId?: number | null | undefined;
  expiresAt?: number | null | undefined;
}

/** last_used_at is written at most this often per token, so busy clients do not cause a write each. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Contract:
 *  - create() returns the secret once; only its SHA-256 is stored. It answers ApiError 'bad_request' for
 *    an empty/too long name or an expiry not in the future, 'not_found' for an unknown userId, and
 *    'bad_request' when the role is stronger than that user's.
 *  - resolve() gives the Principal of a live token (not revoked, not expired, its user if any exists and
 *    is enabled) or null, never throwing for bad input. A user's token acts with the weaker of its own
 *    role and the user's current role. It records last_used_at, at most once per LAST_USED_RESOLUTION_MS.
 *  - revoke() sets revoked_at; true when it did, false when the token is missing or already revoked.
 */
export interface TokenStore {
  create(input: NewToken): Promise<{ info: TokenInfo; secret: string }>;
  get(id: number): Promise<TokenInfo | null>;
  /** Tokens by id ascending, after `afterId`; `nextAfter` is the last id when more remain. */
  list(page: { limit: number; afterId?: number }): Promise<{ items: TokenInfo[]; nextAfter: number | null }>;
  revoke(id: number): Promise<boolean>;
  resolve(secret: string): Promise<Principal | null>;
}

interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  user_id: number | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = 'id, name, prefix, role, user_id, created_at, expires_at, last_used_at, revoked_at';

function toInfo(r: TokenRow): TokenInfo {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    role: r.role,
    userId: r.user_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

const weaker = (a: Role, b: Role): Role => (ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b);

export function createTokenStore(deps: { db: Database; clock: Clock }): TokenStore {
  const { db, clock } = deps;
  const get = async (id: number) => {
    const r = await db.get<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`, [id]);
    return r ? toInfo(r) : null;
  };

  return {
    get,
    async create({ name, role, userId = null, expiresAt = null }) {
      if (name.length < 1 || name.length > 128)
        throw new ApiError('bad_request', 'token name must have 1-128 characters');
      if (!(ROLES as readonly string[]).includes(role))
        throw new ApiError('bad_request', `unknown role ${role}`);
      if (expiresAt !== null && !(Number.isSafeInteger(expiresAt) && expiresAt > clock.now()))
        throw new ApiError('bad_request', 'expiresAt must be a time in the future (epoch ms)');
      const secret = newTokenSecret();
      const id = await db.transaction(async () => {
        if (userId !== null) {
          const u = await db.get<{ role: Role }>('SELECT role FROM users WHERE id = ?', [userId]);
          if (!u) throw new ApiError('not_found', `no user ${userId}`);
          if (weaker(role, u.role) !== role)
            throw new ApiError('bad_request', `role ${role} is stronger than the user's role ${u.role}`);
        }
        const r = await db.run(
          `INSERT INTO api_tokens (name, token_hash, prefix, role, user_id, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [
            name,
            sha256Hex(secret),
            secret.slice(0, TOKEN_PREFIX_LENGTH),
            role,
            userId,
            clock.now(),
            expiresAt,
          ],
        );
        return r.lastID;
      });
      return { info: (await get(id))!, secret };
    },
    async list({ limit, afterId = 0 }) {
      const rows = await db.all<TokenRow>(
        `SELECT ${COLUMNS} FROM api_tokens WHERE id > ? ORDER BY id LIMIT ?`,
        [afterId, limit + 1],
      );
      const items = rows.slice(0, limit).map(toInfo);
      return { items, nextAfter: rows.length > limit ? items[items.length - 1]!.id : null };
    },
    async revoke(id) {
      const r = await db.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
        clock.now(),
        id,
      ]);
      return r.changes > 0;
    },
    async resolve(secret) {
      if (!isTokenShaped(secret)) return null;
      const r = await db.get<TokenRow & { user_role: Role | null; user_disabled: number | null }>(
        `SELECT t.id, t.name, t.role, t.user_id, t.expires_at, t.last_used_at, t.revoked_at,
                u.role AS user_role, u.disabled AS user_disabled
           FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = ?`,
        [sha256Hex(secret)],
      );
      const now = clock.now();
      if (!r || r.revoked_at !== null || (r.expires_at !== null && r.expires_at <= now)) return null;
      let role = r.role;
      if (r.user_id !== null) {
        if (r.user_role === null || r.user_disabled !== 0) return null;
        role = weaker(role, r.user_role);
      }
      if (r.last_used_at === null || now - r.last_used_at >= LAST_USED_RESOLUTION_MS) {
        await db.run(
          'UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)',
          [now, r.id, now - LAST_USED_RESOLUTION_MS],
        );
      }
      return { kind: 'token', id: r.id, name: r.name, role, userId: r.user_id };
    },
  };
}
