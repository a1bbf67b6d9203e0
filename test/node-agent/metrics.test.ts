import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, liveAgent, nodeId } from './helpers.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format 0.0.4: fails the test on any malformed line. */
function parseProm(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${name})(?:\\{(.*)\\})? (\\S+)$`);
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
      types.set(m[1]!, m[2]!);
    } else if (new RegExp(`^# HELP ${name} .*$`).test(line)) {
      continue;
    } else if ((m = sampleRe.exec(line))) {
      const labels: Record<string, string> = {};
      const body = m[2] ?? '';
      labelRe.lastIndex = 0;
      while (labelRe.lastIndex < body.length) {
        const l = labelRe.exec(body);
        assert.ok(l, `bad labels in: ${line}`);
        labels[l[1]!] = l[2]!;
      }
      const value = Number(m[3]);
      assert.ok(!Number.isNaN(value), `bad value in: ${line}`);
      samples.push({ name: m[1]!, labels, value });
    } else {
      assert.fail(`not Prometheus text: ${line}`);
    }
  }
  return { types, samples };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

void test('/metrics is Prometheus text with the node counters and gauges', async (t) => {
  let depth = 4;
  const { agent, base, clock } = await liveAgent(t, { queueDepth: () => depth });
  agent.countTraffic({ bytesIn: 1500, bytesOut: 700, packetsIn: 3, packetsOut: 2 });
  const routing = agent.liveness('routing', { deadlineMs: 1000 });
  agent.liveness('dht', { deadlineMs: 60_000 });
  clock.advance(2500);

  const r = await get(`${base}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const { types, samples } = parseProm(r.text);
  for (const [n, type] of types) if (n.endsWith('_total')) assert.equal(type, 'counter', n);
  assert.equal(types.get('ringwatch_node_traffic_bytes_total'), 'counter');
  assert.equal(types.get('ringwatch_node_cpu_seconds_total'), 'counter');
  assert.equal(value(samples, 'ringwatch_node_info', { node_id: nodeId(3), version: '1.2.3' }), 1);
  assert.equal(value(samples, 'ringwatch_node_traffic_bytes_total', { direction: 'in' }), 1500);
  assert.equal(value(samples, 'ringwatch_node_traffic_bytes_total', { direction: 'out' }), 700);
  assert.equal(value(samples, 'ringwatch_node_traffic_packets_total', { direction: 'in' }), 3);
  assert.equal(value(samples, 'ringwatch_node_connections', { kind: 'near' }), 1);
  assert.equal(value(samples, 'ringwatch_node_connections', { kind: 'relay' }), 1);
  assert.equal(value(samples, 'ringwatch_node_connections', { kind: 'shortcut' }), 0);
  assert.equal(value(samples, 'ringwatch_node_ring_neighbors', { side: 'left' }), 2);
  assert.equal(value(samples, 'ringwatch_node_rss_bytes'), 1000);
  assert.equal(value(samples, 'ringwatch_node_heap_used_bytes'), 500);
  assert.equal(value(samples, 'ringwatch_node_cpu_seconds_total'), 1.5);
  assert.equal(value(samples, 'ringwatch_node_event_loop_lag_seconds'), 0.002);
  assert.equal(value(samples, 'ringwatch_node_queue_depth'), 4);
  assert.equal(value(samples, 'ringwatch_node_start_time_seconds'), agent.startedAt / 1000);
  assert.equal(value(samples, 'ringwatch_node_thread_stalled', { thread: 'routing' }), 1);
  assert.equal(value(samples, 'ringwatch_node_thread_stalled', { thread: 'dht' }), 0);
  assert.equal(value(samples, 'ringwatch_node_thread_last_beat_age_seconds', { thread: 'routing' }), 2.5);
  assert.equal(value(samples, 'ringwatch_node_threads', { state: 'stalled' }), 1);

  routing.beat();
  depth = 9;
  agent.countTraffic({ bytesIn: 500 });
  agent.setNodeId(nodeId(77));
  const again = parseProm((await get(`${base}/metrics`)).text).samples;
  assert.equal(value(again, 'ringwatch_node_thread_stalled', { thread: 'routing' }), 0);
  assert.equal(value(again, 'ringwatch_node_queue_depth'), 9);
  assert.equal(value(again, 'ringwatch_node_traffic_bytes_total', { direction: 'in' }), 2000);
  assert.equal(
    value(again, 'ringwatch_node_info', { node_id: nodeId(3) }),
    undefined,
    'old identity is gone',
  );
  assert.equal(value(again, 'ringwatch_node_info', { node_id: nodeId(77) }), 1);
});

void test('each agent has its own registry', async (t) => {
  const a = await liveAgent(t);
  const b = await liveAgent(t, { nodeId: nodeId(8) });
  a.agent.countTraffic({ bytesIn: 5 });
  const [ma, mb] = await Promise.all([get(`${a.base}/metrics`), get(`${b.base}/metrics`)]);
  assert.equal(
    value(parseProm(ma.text).samples, 'ringwatch_node_traffic_bytes_total', { direction: 'in' }),
    5,
  );
  assert.equal(
    value(parseProm(mb.text).samples, 'ringwatch_node_traffic_bytes_total', { direction: 'in' }),
    0,
  );
  assert.equal(value(parseProm(mb.text).samples, 'ringwatch_node_info', { node_id: nodeId(8) }), 1);
});
