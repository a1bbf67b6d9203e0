/**
 * In-memory sliding-window counter of failed logins, per (client address, user name) and per client
 * address, driven by the injected clock (express-rate-limit keeps its own timers, so it is not used).
 */
import type { Clock } from '../core/clock.js';

export interface LoginLimitOptions {
  /** Length of the sliding window (default 15 min). */
  windowMs: number;
  /** Failures allowed per (address, user name) within the window (default 10). */
  max: number;
  /** Failures allowed per address within the window, whatever the names (default 50). */
  maxPerIp: number;
  /** Keys kept before old ones are evicted (bounds memory under a spray of names; default 10000). */
  maxKeys?: number;
}

export const DEFAULT_LOGIN_LIMIT: LoginLimitOptions = { windowMs: 15 * 60_000, max: 10, maxPerIp: 50 };

/**
 * Contract: check() answers whether another attempt is allowed now and, when not, how long until it will
 * be (ms, > 0). Only fail() counts; succeed() forgets the pair's failures (not the address's). User names
 * compare case-insensitively, as in the users table. State is per instance; nothing is global.
 */
export interface LoginLimiter {
  check(ip: string, username: string): { allowed: true } | { allowed: false; retryAfterMs: number };
  fail(ip: string, username: string): void;
  succeed(ip: string, username: string): void;
  /** Keys currently held (never above maxKeys after a call returns). */
  size(): number;
}

export function createLoginLimiter(clock: Clock, options: Partial<LoginLimitOptions> = {}): LoginLimiter {
  const { windowMs, max, maxPerIp } = { ...DEFAULT_LOGIN_LIMIT, ...options };
  const maxKeys = options.maxKeys ?? 10_000;
  /** Failure times, oldest first, per key. */
  const failures = new Map<string, number[]>();
  const pairKey = (ip: string, username: string) => `${ip}\u0000${username.toLowerCase()}`;
  const ipKey = (ip: string) => `${ip}\u0001`;

  const live = (key: string, now: number): number[] => {
    const times = failures.get(key);
    if (!times) return [];
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - windowMs) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length === 0) failures.delete(key);
    return times;
  };
  /** ms until fewer than `limit` failures remain in the window, or 0 when already fewer. */
  const wait = (times: number[], limit: number, now: number) =>
    times.length < limit ? 0 : times[times.length - limit]! + windowMs - now;

  const evict = (now: number) => {
    if (failures.size <= maxKeys) return;
    for (const key of [...failures.keys()]) live(key, now);
    for (const key of failures.keys()) {
      if (failures.size <= maxKeys) break;
      failures.delete(key);
    }
  };

  return {
    check(ip, username) {
      const now = clock.now();
      const ms = Math.max(
        wait(live(pairKey(ip, username), now), max, now),
        wait(live(ipKey(ip), now), maxPerIp, now),
      );
      return ms > 0 ? { allowed: false, retryAfterMs: ms } : { allowed: true };
    },
    fail(ip, username) {
      const now = clock.now();
      for (const key of [pairKey(ip, username), ipKey(ip)]) {
        const times = live(key, now);
        times.push(now);
        failures.set(key, times);
      }
      evict(now);
    },
    succeed(ip, username) {
      failures.delete(pairKey(ip, username));
    },
    size: () => failures.size,
  };
}
