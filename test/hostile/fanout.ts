/**
 * A self-similar fan-out: loopback servers answering for an unbounded tree of path-addressed nodes
 * (`/f/1.7.42`), each a valid status under the ID its parent names, each claiming `width` children
 * spread over `origins` ports (by a hash of their path). Only the crawler's maxNodes stops it: maxConnectionsPerNode bounds one
 * node's fan-out, not the depth.
 */
import { createHash } from 'node:crypto';
import { connectionJson, HUGE, hugeArray, statusDoc } from './builder.js';
import { httpServer, sendBody } from './servers.js';
import type { HttpHandler, Listening } from './servers.js';

/** The ID of the tree node at `path` ('' is the root). */
export const fanId = (path: string): string => createHash('sha1').update(`fan:${path}`).digest('hex');

/**
 * The running tree. Contract: `root` is the endpoint and ID to list; `visited()` counts the distinct
 * tree nodes requested and `requests()` all requests (a retried one counts again); close() is idempotent.
 */
export interface FanOut {
  root: { id: string; endpoint: string };
  visited(): number;
  requests(): number;
  close(): Promise<void>;
}

export async function startFanOut(width: number, origins = 64): Promise<FanOut> {
  const seen = new Set<string>();
  let requests = 0;
  const bases: string[] = [];
  const endpointOf = (path: string): string => {
    if (path === '') return bases[0]!;
    return `${bases[parseInt(fanId(path).slice(0, 6), 16) % bases.length]!}/f/${path}`;
  };
  const handler: HttpHandler = (req, res) => {
    requests++;
    const m = /^(?:\/f\/([\d.]+))?\/v1\/status$/.exec(req.url ?? '');
    if (!m) return sendBody(res, { error: { code: 'not_found', message: 'no such node' } }, 404);
    const path = m[1] ?? '';
    seen.add(path);
    const child = (k: number): string => (path === '' ? String(k) : `${path}.${k}`);
    const doc = { ...statusDoc(fanId(path), endpointOf(path)), connections: HUGE };
    const item = (k: number): string => connectionJson(fanId(child(k)), endpointOf(child(k)));
    sendBody(res, [...hugeArray(doc, width, item)].join(''));
  };
  const servers: Listening[] = [];
  try {
    for (let i = 0; i < origins; i++) servers.push(await httpServer(handler));
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }
  for (const s of servers) bases.push(`http://127.0.0.1:${s.port}`);
  return {
    root: { id: fanId(''), endpoint: endpointOf('') },
    visited: () => seen.size,
    requests: () => requests,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
