/**
 * Alerts, silences and notification channels:
 *   GET /alerts (?state=pending|firing|resolved|silenced|active|all, default active; rule, node, limit, cursor)
 *   GET /alerts/:fingerprint (current or latest episode, with the event history of the fingerprint)
 *   POST /alerts/:fingerprint/ack {comment?} (operator; firing alerts only, else 409 conflict)
 *   GET /silences (?state=pending|active|expired, limit, cursor), POST /silences (operator),
 *   DELETE /silences/:id (operator; expires it now, 200 with the silence)
 *   GET /channels (names and kinds, never their settings), POST /channels/:name/test (operator)
 * Lists are newest first, paged by id (`cursor` is the last id of the previous page).
 */
import type { RecordingNotifier } from '../alert/notifier.js';
import { Router } from 'express';
import { z } from 'zod';
import type { AlertEngine } from '../alert/engine.js';
import { ALERT_FILTERS } from '../alert/repo.js';
import { SILENCE_STATES, SilenceInputSchema } from '../alert/silences.js';
import { RULE_NAMES, type Notifier } from '../alert/types.js';
import { principalOf, type Auth } from '../auth/types.js';
import { ApiError, handle, parseInput } from '../http/errors.js';

export interface AlertsRouterDeps {
  auth: Pick<Auth, 'require'>;
  engine: Pick<AlertEngine, 'list' | 'get' | 'history' | 'ack' | 'silences'>;
  notifier: Pick<Notifier, 'channels' | 'test'> & Partial<Pick<RecordingNotifier, 'deliveries'>>;
}

const Limit = z.coerce.number().int().min(1).max(1000).default(100);
const Cursor = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'not a cursor of this list')
  .transform(Number)
  .optional();

const AlertsQuery = z.strictObject({
  state: z.enum(ALERT_FILTERS).default('active'),
  rule: z.enum(RULE_NAMES).optional(),
  node: z
    .string()
    .regex(/^[0-9a-f]{40}$/, 'a node ID (40 lowercase hex)')
    .optional(),
  limit: Limit,
  cursor: Cursor,
});
const SilencesQuery = z.strictObject({
  state: z.enum(SILENCE_STATES).optional(),
  limit: Limit,
  cursor: Cursor,
});
const ChannelsQuery = z.strictObject({
  limit: Limit,
  cursor: z
    .string()
    .regex(/^\d{1,6}$/, 'not a cursor of this list')
    .transform(Number)
    .optional(),
});
const Fingerprint = z.strictObject({ fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'not a fingerprint') });
const SilenceId = z.strictObject({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'not a silence id')
    .transform(Number),
});
const ChannelName = z.strictObject({ name: z.string().min(1).max(200) });

export const AckBodySchema = z.strictObject({ comment: z.string().max(4096).default('') });
export { SilenceInputSchema };

export function createAlertsRouter(deps: AlertsRouterDeps): Router {
  const r = Router();
  const viewer = deps.auth.require('viewer');
  const operator = deps.auth.require('operator');
  const { engine } = deps;

  r.get(
    '/alerts',
    viewer,
    handle(async (req, res) => {
      const q = parseInput(AlertsQuery, req.query, 'query');
      res.json(
        await engine.list({
          state: q.state,
          limit: q.limit,
          ...(q.rule ? { rule: q.rule } : {}),
          ...(q.node ? { node: q.node } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        }),
      );
    }),
  );

  r.get(
    '/alerts/:fingerprint',
    viewer,
    handle(async (req, res) => {
      const { fingerprint } = parseInput(Fingerprint, req.params, 'path');
      const alert = await engine.get(fingerprint);
      if (!alert) throw new ApiError('not_found', `no alert ${fingerprint}`);
      res.json({ alert, events: await engine.history(fingerprint) });
    }),
  );

  r.post(
    '/alerts/:fingerprint/ack',
    operator,
    handle(async (req, res) => {
      const { fingerprint } = parseInput(Fingerprint, req.params, 'path');
      const body = parseInput(AckBodySchema, req.body ?? {}, 'body');
      const out = await engine.ack(fingerprint, principalOf(res).name, body.comment);
      if (!out.ok && out.reason === 'not_found') throw new ApiError('not_found', `no alert ${fingerprint}`);
      if (!out.ok) throw new ApiError('conflict', `alert ${fingerprint} is not firing`);
      res.json({ alert: out.alert });
    }),
  );

  r.get(
    '/silences',
    viewer,
    handle(async (req, res) => {
      const q = parseInput(SilencesQuery, req.query, 'query');
      res.json(
        await engine.silences.list({
          limit: q.limit,
          ...(q.state ? { state: q.state } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        }),
      );
    }),
  );

  r.post(
    '/silences',
    operator,
    handle(async (req, res) => {
      const body = parseInput(SilenceInputSchema, req.body, 'body');
      const out = await engine.silences.create(body, principalOf(res).name);
      if (!out.ok) {
        throw new ApiError('bad_request', 'invalid body', [
          { path: 'endsAt', message: 'the silence would already be over' },
        ]);
      }
      res.status(201).json({ silence: out.silence });
    }),
  );

  r.delete(
    '/silences/:id',
    operator,
    handle(async (req, res) => {
      const { id } = parseInput(SilenceId, req.params, 'path');
      const out = await engine.silences.expire(id);
      if (!out.ok) throw new ApiError('not_found', `no silence ${id}`);
      res.json({ silence: out.silence });
    }),
  );

  r.get(
    '/channels',
    viewer,
    handle((req, res) => {
      const q = parseInput(ChannelsQuery, req.query, 'query');
      const all = deps.notifier.channels().map((c) => ({ name: c.name, kind: c.kind }));
      const from = q.cursor ?? 0;
      const items = all.slice(from, from + q.limit);
      res.json({ items, nextCursor: from + q.limit < all.length ? String(from + q.limit) : null });
      return Promise.resolve();
    }),
  );

  r.post(
    '/channels/:name/test',
    operator,
    handle(async (req, res) => {
      const { name } = parseInput(ChannelName, req.params, 'path');
      if (!deps.notifier.channels().some((c) => c.name === name)) {
        throw new ApiError('not_found', `no channel ${name}`);
      }
      const out = await deps.notifier.test(name);
      res.json({ channel: name, ok: out.ok, ...(out.error !== undefined ? { error: out.error } : {}) });
    }),
  );

  r.get(
    '/notifications',
    viewer,
    handle(async (req, res) => {
      const q = parseInput(z.strictObject({ limit: Limit, cursor: Cursor.optional() }), req.query, 'query');
      if (!deps.notifier.deliveries) throw new ApiError('not_found', 'deliveries are not recorded');
      const items = await deps.notifier.deliveries({
        limit: q.limit + 1,
        ...(q.cursor !== undefined ? { before: q.cursor } : {}),
      });
      const page = items.slice(0, q.limit);
      res.json({
        items: page,
        nextCursor: items.length > q.limit ? String(page[page.length - 1]!.id) : null,
      });
    }),
  );

  return r;
}
