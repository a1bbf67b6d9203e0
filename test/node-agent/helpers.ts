/** Shared fixtures for node-agent tests: IDs, a live agent on an ephemeral port, and a small HTTP client. */
import type { TestContext } from 'node:test';
import { manualClock } from '../../server/core/clock.js';
import type { ManualClock } from '../../server/core/clock.js';
import { createAgent } from '../../node-agent/index.js';
import type { Agent, AgentOptions, AgentView } from '../../node-agent/index.js';

/** A deterministic 40-hex node ID from a small number. */
export function nodeId(n: number): string {
  return n.toString(16).padStart(40, '0');
}

export const TOKEN = 'test-token-0123456789';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function get(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

export function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

export function sampleView(): AgentView {
  return {
    left: [
      { id: nodeId(1), endpoint: 'http://127.0.0.1:9001' },
      { id: nodeId(2), endpoint: 'http://127.0.0.1:9002' },
    ],
    right: [
      { id: nodeId(4), endpoint: 'http://127.0.0.1:9004' },
      { id: nodeId(5), endpoint: 'http://127.0.0.1:9005' },
    ],
    connections: [
      {
        peerId: nodeId(1),
        endpoint: 'http://127.0.0.1:9001',
        kind: 'near',
        rttMs: 12.5,
        ageSeconds: 30,
        bytesIn: 100,
        bytesOut: 200,
      },
      {
        peerId: nodeId(9),
        endpoint: 'http://127.0.0.1:9009',
        kind: 'relay',
        via: nodeId(4),
        rttMs: 80,
        ageSeconds: 3,
        bytesIn: 5,
        bytesOut: 6,
      },
    ],
  };
}

export interface Live {
  agent: Agent;
  base: string;
  clock: ManualClock;
}

/** An agent on a manual clock, listening on 127.0.0.1:0, closed after the test. */
export async function liveAgent(t: TestContext, options: Partial<AgentOptions> = {}): Promise<Live> {
  const clock = manualClock();
  const agent = createAgent({
    nodeId: nodeId(3),
    endpoint: 'http://127.0.0.1:9003',
    version: '1.2.3',
    view: sampleView,
    now: () => clock.now(),
    processStats: () => ({ rssBytes: 1000, heapUsedBytes: 500, cpuSeconds: 1.5, eventLoopLagMs: 2 }),
    ...options,
  });
  const server = await agent.listen();
  t.after(async () => {
    agent.close();
    await server.close();
  });
  return { agent, base: `http://127.0.0.1:${server.port}`, clock };
}
