/**
 * Browser sessions in `sessions`: a random 32-byte id lives only in the client's cookie; the table keeps
 * its SHA-256. Expiry slides: each use pushes it to now + ttl (written at most once a minute).
 */
import type { Clock } from '../core/clock.js';
import type { Database } from '../store/db.js';
import { isSessionIdShaped, newSessionId, sha256Hex } from './secrets.js';
import type { Principal, Role } from './types.js';

/** Sliding expiry is written at most this often per session. */
export const SLIDE_RESOLUTION_MS = 60_000;

/**
 * Contract:
 *  - create() returns the clear id once (for the cookie) and its expiry; only the hash is stored.
 *  - resolve() gives the Principal of a live session (not expired, its user enabled) with the user's
 *    current role, or null (never throwing for bad input); expired sessions it meets are deleted.
 *    `slid` is true when it pushed the expiry forward (the caller refreshes the cookie then).
 *  - remove() deletes one session by clear id (no-op when unknown); sweep() deletes all expired ones.
 */
export interface SessionStore {
  create(userId: number): Promise<{ id: string; expiresAt: number }>;
  resolve(id: string): Promise<{ principal: Principal; expiresAt: number; slid: boolean } | null>;
  remove(id: string): Promise<boolean>;
  sweep(): Promise<number>;
}

interface SessionRow {
  user_id: number;
  expires_at: number;
  last_seen_at: number;
  username: string;
  role: Role;
  disabled: number;
}

export function createSessionStore(deps: { db: Database; clock: Clock; ttlMs: number }): SessionStore {
  const { db, clock, ttlMs } = deps;
  return {
    async create(userId) {
      const id = newSessionId();
      const now = clock.now();
      await db.run(
        'INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
        [sha256Hex(id), userId, now, now + ttlMs, now],
      );
      return { id, expiresAt: now + ttlMs };
    },
    async resolve(id) {
      if (!isSessionIdShaped(id)) return null;
      const hash = sha256Hex(id);
      const r = await db.get<SessionRow>(
        `SELECT s.user_id, s.expires_at, s.last_seen_at, u.username, u.role, u.disabled
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id_hash = ?`,
        [hash],
      );
      if (!r) return null;
      const now = clock.now();
      if (r.expires_at <= now) {
        await db.run('DELETE FROM sessions WHERE id_hash = ?', [hash]);
        return null;
      }
      if (r.disabled !== 0) return null;
      let expiresAt = r.expires_at;
      const slid = now - r.last_seen_at >= SLIDE_RESOLUTION_MS;
      if (slid) {
        expiresAt = now + ttlMs;
        await db.run('UPDATE sessions SET expires_at = ?, last_seen_at = ? WHERE id_hash = ?', [
          expiresAt,
          now,
          hash,
        ]);
      }
      const principal: Principal = {
        kind: 'session',
        id: r.user_id,
        name: r.username,
        role: r.role,
        userId: r.user_id,
      };
      return { principal, expiresAt, slid };
    },
    async remove(id) {
      if (!isSessionIdShaped(id)) return false;
      return (await db.run('DELETE FROM sessions WHERE id_hash = ?', [sha256Hex(id)])).changes > 0;
    },
    async sweep() {
      return (await db.run('DELETE FROM sessions WHERE expires_at <= ?', [clock.now()])).changes;
    },
  };
}
