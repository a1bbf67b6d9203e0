/**
 * On-demand log pulls: POST /nodes/:id/logs (operator) fetches from the node's agent and stores the
 * result; GET /nodes/:id/logs lists earlier pulls; GET /log-pulls/:pullId returns one with its records.
 * Every pull attempt, failed or not, is audited.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Audit } from '../auth/audit.js';
import { principalOf, type Auth } from '../auth/types.js';
import { ApiError, handle, parseInput, type ApiErrorCode } from '../http/errors.js';
import {
  LogPullError,
  LogPullParamsSchema,
  type LogPull,
  type LogPuller,
  type LogPullErrorKind,
} from '../logs/puller.js';

export interface LogsRouterDeps {
  auth: Pick<Auth, 'require'>;
  puller: LogPuller;
  audit: Pick<Audit, 'record'>;
  actorOf(p: ReturnType<typeof principalOf>): string;
  /** Told of every stored pull (the live stream announces it). */
  onPulled?(pull: LogPull): void;
}

const ERROR_CODE: Record<LogPullErrorKind, ApiErrorCode> = {
  unknown_node: 'not_found',
  no_endpoint: 'node_unreachable',
  not_allowed: 'forbidden',
  no_token: 'unavailable',
  unreachable: 'node_unreachable',
  agent_auth: 'agent_auth_failed',
  too_large: 'log_too_large',
  bad_answer: 'agent_error',
};

/** A node ID (40 hex, any case) or an endpoint key (a URL, for nodes never identified). */
export const NodeKeySchema = z
  .string()
  .min(1)
  .max(2048)
  .transform((s) => (/^[0-9a-fA-F]{40}$/.test(s) ? s.toLowerCase() : s))
  .refine(
    (s) => /^[0-9a-f]{40}$/.test(s) || /^https?:\/\//.test(s),
    'must be a node ID (40 hex) or an endpoint URL',
  );

const PullBody = LogPullParamsSchema;

export function createLogsRouter(deps: LogsRouterDeps): Router {
  const r = Router();

  r.post(
    '/nodes/:id/logs',
    deps.auth.require('operator'),
    handle(async (req, res) => {
      const key = parseInput(NodeKeySchema, req.params.id, 'node id');
      const params = parseInput(PullBody, req.body ?? {}, 'body');
      const actor = deps.actorOf(principalOf(res));
      let pull: LogPull;
      try {
        pull = await deps.puller.pull(key, params, actor);
      } catch (err) {
        if (!(err instanceof LogPullError)) throw err;
        await deps.audit.record({
          actor,
          action: 'logs.pull_failed',
          target: key,
          detail: { kind: err.kind, params },
        });
        throw new ApiError(ERROR_CODE[err.kind], err.message, { kind: err.kind });
      }
      await deps.audit.record({
        actor,
        action: 'logs.pull',
        target: key,
        detail: { pullId: pull.id, lines: pull.lines, bytes: pull.bytes, params },
      });
      deps.onPulled?.(pull);
      res.status(201).json(pull);
    }),
  );

  r.get(
    '/nodes/:id/logs',
    deps.auth.require('viewer'),
    handle(async (req, res) => {
      const key = parseInput(NodeKeySchema, req.params.id, 'node id');
      const q = parseInput(
        z.strictObject({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          cursor: z.coerce.number().int().min(1).optional(),
        }),
        req.query,
        'query',
      );
      const items = await deps.puller.list(key, {
        limit: q.limit + 1,
        ...(q.cursor ? { before: q.cursor } : {}),
      });
      const page = items.slice(0, q.limit);
      res.json({
        items: page,
        nextCursor: items.length > q.limit ? String(page[page.length - 1]!.id) : null,
      });
    }),
  );

  r.get(
    '/log-pulls/:pullId',
    deps.auth.require('viewer'),
    handle(async (req, res) => {
      const id = parseInput(
        z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        req.params.pullId,
        'pull id',
      );
      const pull = await deps.puller.get(id);
      if (!pull) throw new ApiError('not_found', `no log pull ${id}`);
      res.json(pull);
    }),
  );

  return r;
}
