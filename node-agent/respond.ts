/**
 * HTTP answer helpers shared by the agent and the sidecar. Every JSON answer carries
 * `Content-Type: application/json; charset=utf-8` and `Cache-Control: no-store`; every error body is
 * `{ "error": { "code", "message" } }` (ErrorBodySchema).
 */
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from './schema.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Thrown by a status source (a `view` callback, a sidecar state reader) when it cannot produce a valid
 * document right now; the agent answers 503 with this code instead of a half-valid document.
 */
export class StateUnavailableError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'StateUnavailableError';
    this.code = code;
  }
}

/** Writes a complete answer whose body is already-serialized text. */
export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** Writes a JSON answer; `body` is serialized with JSON.stringify unless it is already a string. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(res, status, JSON_CONTENT_TYPE, typeof body === 'string' ? body : JSON.stringify(body), headers);
}

/** Writes a protocol error answer (`{ error: { code, message } }`). */
export function sendError(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message } }, headers);
}
