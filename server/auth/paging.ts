/** `?limit=&cursor=` pagination of the admin lists (API conventions); cursors are opaque to clients. */
import { z } from 'zod';
import { ApiError } from '../http/errors.js';

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(100).optional(),
});

/** The cursor for "after id `id`", or null when there is no next page. */
export function encodeCursor(afterId: number | null): string | null {
  return afterId === null ? null : Buffer.from(`id:${afterId}`, 'utf8').toString('base64url');
}

/** The id a cursor stands for (0 without one); ApiError('bad_request') for a cursor we did not make. */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const m = /^id:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m)
    throw new ApiError('bad_request', 'invalid cursor', [{ path: 'cursor', message: 'invalid cursor' }]);
  return Number(m[1]);
}
